/**
 * Keeps secrets out of every report. Known values (the credentials the run
 * was given, tokens captured during a case, tokens a rotation returned)
 * become the shell variable that holds them, whatever their shape; anything
 * else shaped like a SetChat credential or a JWT is masked.
 */
import { ENV_NAMES, SECRET_VARIABLES, type TargetVariable } from "./variables.ts";

const SECRET_SHAPES = [
  /setchat_(?:s2s|adm|wss|dev)_[0-9A-Za-z]{6,}/g,
  /eyJ[\w-]{8,}\.[\w-]*\.[\w-]*/g,
];

/** A body field whose value is a credential, by its name (`token`, `sessionToken`, `deviceCredential`, …). */
export function isCredentialField(path: string): boolean {
  const last = path.split(".").at(-1) ?? "";
  return /token|credential|secret|password/i.test(last);
}

/**
 * A fixture variable as a shell variable: a target's is its environment
 * variable (`serverToken` is `SETCHAT_SERVER_TOKEN`, also once a rotation
 * replaced it), any other is its name in capitals (`oldToken` is `OLD_TOKEN`).
 */
export function shellName(name: string): string {
  if (name === "apiUrl") return "SETCHAT_API_URL";
  if (name in ENV_NAMES) return ENV_NAMES[name as keyof typeof ENV_NAMES];
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** Replaces secret values in text. A child knows its parent's secrets too. */
export class Redactor {
  readonly #known = new Map<string, string>();
  readonly #parent: Redactor | undefined;
  /** Values shaped like credentials that are public (written in a fixture): never masked. */
  readonly #public = new Set<string>();

  constructor(parent?: Redactor) {
    this.#parent = parent;
  }

  /** Registers `value` as a secret shown as `$name`. */
  add(value: unknown, name: string): void {
    if (typeof value === "string" && value.length >= 8 && !this.knows(value)) this.#known.set(value, `$${name}`);
  }

  /** Registers a target's secret settings (its tokens), each shown as its environment variable. */
  addSettings(vars: Partial<Record<TargetVariable, string | undefined>>): this {
    for (const name of SECRET_VARIABLES) this.add(vars[name], ENV_NAMES[name]);
    return this;
  }

  /** Marks the credential-shaped values written in `text` (a fixture's own, public) as never to be masked. */
  allowWrittenIn(text: string): void {
    for (const re of SECRET_SHAPES) for (const m of text.matchAll(new RegExp(re.source, "g"))) this.#public.add(m[0]);
  }

  /** Every public value, the parent's included. */
  publicValues(): Set<string> {
    return new Set([...(this.#parent?.publicValues() ?? []), ...this.#public]);
  }

  /** Whether `value` is a registered secret. */
  knows(value: string): boolean {
    return this.#known.has(value) || (this.#parent?.knows(value) ?? false);
  }

  /** Every registered secret, with the name it is shown as. */
  entries(): [string, string][] {
    return [...(this.#parent?.entries() ?? []), ...this.#known];
  }

  /** Whether a value looks like a credential or a token. */
  static looksSecret(value: unknown): boolean {
    return typeof value === "string" && SECRET_SHAPES.some((re) => new RegExp(re.source).test(value));
  }

  /** `text` with every secret replaced. */
  apply(text: string): string {
    // Public values step aside while secrets are masked, then come back as they were.
    const kept = [...this.publicValues()].filter((v) => !this.knows(v)).sort((a, b) => b.length - a.length);
    let out = kept.reduce((t, value, i) => t.split(value).join(`\u0000${i}\u0000`), text);
    // Longest first, so that a token is not half-replaced by a shorter one it contains.
    for (const [value, name] of this.entries().sort((a, b) => b[0].length - a[0].length)) {
      out = out.split(value).join(name);
    }
    for (const re of SECRET_SHAPES) out = out.replace(re, "<redacted>");
    return kept.reduce((t, value, i) => t.split(`\u0000${i}\u0000`).join(value), out);
  }
}
