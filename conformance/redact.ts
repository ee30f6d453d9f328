/**
 * Keeps secrets out of every report. Known values (the target's tokens,
 * tokens captured during a case) become the shell variable that holds them;
 * anything else shaped like a credential or a JWT is masked.
 */
const SECRET_SHAPES = [
  /setchat_(?:s2s|adm|wss|dev)_[0-9A-Za-z]{6,}/g,
  /eyJ[\w-]{8,}\.[\w-]*\.[\w-]*/g,
];

/** Replaces secret values in text. */
export class Redactor {
  readonly #known = new Map<string, string>();

  /** Registers `value` as a secret shown as `$name`. */
  add(value: unknown, name: string): void {
    if (typeof value === "string" && value.length >= 8) this.#known.set(value, `$${name}`);
  }

  /** Whether a value looks like a credential or a token. */
  static looksSecret(value: unknown): boolean {
    return typeof value === "string" && SECRET_SHAPES.some((re) => new RegExp(re.source).test(value));
  }

  /** `text` with every secret replaced. */
  apply(text: string): string {
    let out = text;
    // Longest first, so that a token is not half-replaced by a shorter one it contains.
    for (const [value, name] of [...this.#known].sort((a, b) => b[0].length - a[0].length)) {
      out = out.split(value).join(name);
    }
    for (const re of SECRET_SHAPES) out = out.replace(re, "<redacted>");
    return out;
  }
}
