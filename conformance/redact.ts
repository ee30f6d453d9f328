/**
 * Keeps secrets out of every report, and a target's data harmless in them.
 *
 * Redaction works on the run's data (reasons, details, bodies, paths), once,
 * before any reporter renders it; no reporter rewrites what it rendered. Known
 * values become the shell variable that holds them: the credentials the run was
 * given whatever their shape, and the values a target returned in a
 * credential's place when they are shaped like one. Anything else shaped like a
 * credential (the reference's formats, the prefixes a discovery document
 * declares, a JWT) is masked. What remains of a target's answers is its data:
 * control characters become visible escapes and long texts are cut with a note,
 * so that a terminal, an XML parser or a browser reads it as text.
 */
import type { CaseResult, RunResult } from "./runner.ts";
import { ENV_NAMES, SECRET_VARIABLES, type TargetVariable } from "./variables.ts";

const REFERENCE_SHAPES = [
  /setchat_(?:s2s|adm|wss|dev)_[0-9A-Za-z]{6,}/g,
  /eyJ[\w-]{8,}\.[\w-]*\.[\w-]*/g,
];

/** What a bearer token may hold (RFC 6750 `b64token`), and the length a target's value needs to be taken for one. */
const BEARER = /^[A-Za-z0-9\-._~+/]+=*$/;
const MIN_RETURNED_SECRET = 16;
const MAX_SECRET = 4096;

/** A prefix a discovery document may declare for its credentials: letters first, a separator last. */
const DECLARED_PREFIX = /^[A-Za-z][\w-]{1,30}[_-]$/;

/** How long a string of a report may be, and a response body. */
export const MAX_TEXT = 4000;
export const MAX_BODY = 2000;

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

/** A piece of text, or a secret that stands in it as the variable `variable`. */
export type Segment = { text: string } | { variable: string };

/** Changes made to any redactor so far: what a redactor compiled stands until the next. */
let changes = 0;

/** What a redactor masks with, compiled once for every text it is given until something changes. */
interface Compiled {
  at: number;
  /** Registered secrets, longest first, and one pattern finding any of them. */
  names: Map<string, string>;
  any: RegExp | undefined;
  /** Public values, longest first. */
  kept: string[];
  shapes: RegExp[];
  /**
   * Texts already shown, by text: a run's results repeat the same strings
   * (levels, check names, paths) hundreds of times, and what one shows as
   * changes only with the secrets, when this is compiled again.
   */
  shownTexts: Map<string, string>;
  shownBodies: Map<string, string>;
}

/** Texts a compiled redactor remembers the look of, at most, and how long each may be: beyond, it starts again. */
const SHOWN_MEMO = 10_000;
const SHOWN_MEMO_CHARS = 1024;

/** Knows the run's secrets and masks them in text. A child knows its parent's secrets too. */
export class Redactor {
  #compiled: Compiled | undefined;
  readonly #known = new Map<string, string>();
  readonly #parent: Redactor | undefined;
  /** Values shaped like credentials that are public (written in a fixture): never masked. */
  readonly #public = new Set<string>();
  /** Shapes of the target's credentials, from the prefixes its discovery document declares. */
  readonly #declared: RegExp[] = [];

  constructor(parent?: Redactor) {
    this.#parent = parent;
  }

  /** Registers `value`, a secret the run was given or made itself, shown as `$name`. */
  add(value: unknown, name: string): void {
    if (typeof value === "string" && value.length >= 8 && !this.knows(value)) {
      this.#known.set(value, name);
      changes++;
    }
  }

  /**
   * Registers `value`, which a target returned in a credential's place, when
   * it is shaped like one; answers whether it did. Anything else the target
   * returned stays data, shown escaped.
   */
  addReturned(value: unknown, name: string): boolean {
    if (!this.looksLikeCredential(value)) return false;
    this.add(value, name);
    return true;
  }

  /** Registers a target's secret settings (its tokens), each shown as its environment variable. */
  addSettings(vars: Partial<Record<TargetVariable, string | undefined>>): this {
    for (const name of SECRET_VARIABLES) this.add(vars[name], ENV_NAMES[name]);
    return this;
  }

  /** Masks, wherever they appear, values that start with a prefix the target declares for its credentials. */
  declarePrefixes(prefixes: readonly string[]): void {
    for (const prefix of prefixes) {
      if (!DECLARED_PREFIX.test(prefix)) continue;
      // Letters, digits, `_` and `-` only: the prefix is literal text in the pattern.
      this.#declared.push(new RegExp(`${prefix}[A-Za-z0-9\\-._~+/]{${MIN_RETURNED_SECRET},}`, "g"));
      changes++;
    }
  }

  #declaredShapes(): RegExp[] {
    return [...(this.#parent ? this.#parent.#declaredShapes() : []), ...this.#declared];
  }

  #shapes(): RegExp[] {
    return [...REFERENCE_SHAPES, ...this.#declaredShapes()];
  }

  /** Whether a value has a credential's known shape: the reference's formats, a JWT, or a prefix the target declares. */
  hasCredentialShape(value: unknown): value is string {
    return typeof value === "string" && value.length <= MAX_SECRET &&
      this.#shapes().some((re) => new RegExp(`^(?:${re.source})$`).test(value));
  }

  /** Whether a value in a credential's place looks like one: a known shape, or a bearer token of a credential's length. */
  looksLikeCredential(value: unknown): value is string {
    if (this.hasCredentialShape(value)) return true;
    return typeof value === "string" && value.length >= MIN_RETURNED_SECRET && value.length <= MAX_SECRET &&
      BEARER.test(value);
  }

  /** Marks the credential-shaped values written in `text` (a fixture's own, public) as never to be masked. */
  allowWrittenIn(text: string): void {
    for (const re of this.#shapes()) {
      for (const m of text.matchAll(new RegExp(re.source, "g"))) {
        if (!this.#public.has(m[0])) changes++;
        this.#public.add(m[0]);
      }
    }
  }

  /** Every public value, the parent's included. */
  publicValues(): Set<string> {
    return new Set([...(this.#parent?.publicValues() ?? []), ...this.#public]);
  }

  /** Whether `value` is a registered secret. */
  knows(value: string): boolean {
    return this.#known.has(value) || (this.#parent?.knows(value) ?? false);
  }

  /** Every registered secret, with the variable it is shown as (no `$`). */
  entries(): [string, string][] {
    return [...(this.#parent?.entries() ?? []), ...this.#known];
  }

  #compile(): Compiled {
    if (this.#compiled?.at === changes) return this.#compiled;
    // Longest first, so that a token is not half-replaced by a shorter one it contains.
    const known = this.entries().sort((a, b) => b[0].length - a[0].length);
    this.#compiled = {
      at: changes,
      names: new Map(known),
      any: known.length
        ? new RegExp(known.map(([v]) => v.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|"), "g")
        : undefined,
      kept: [...this.publicValues()].sort((a, b) => b.length - a.length),
      shapes: this.#shapes().map((re) => new RegExp(re.source, "g")),
      shownTexts: new Map(),
      shownBodies: new Map(),
    };
    return this.#compiled;
  }

  /** `text` as pieces: registered secrets apart, as their variables; other credential shapes masked. */
  segments(text: string): Segment[] {
    const { names, any } = this.#compile();
    const out: Segment[] = [];
    if (any) {
      let last = 0;
      for (const m of text.matchAll(any)) {
        out.push({ text: this.#masked(text.slice(last, m.index)) }, { variable: names.get(m[0])! });
        last = m.index + m[0].length;
      }
      out.push({ text: this.#masked(text.slice(last)) });
    } else {
      out.push({ text: this.#masked(text) });
    }
    return out.filter((s) => !("text" in s) || s.text !== "");
  }

  /** `text` with every secret replaced: registered ones by `$VARIABLE`, other credential shapes by `<redacted>`. */
  apply(text: string): string {
    // Most text holds no registered secret: it is only masked, without being cut into pieces.
    // (A search for each secret in turn is faster than the one pattern of them all, and most text is
    // shorter than any secret.)
    const { names } = this.#compile();
    let found = false;
    for (const secret of names.keys()) {
      found = text.includes(secret);
      if (found) break;
    }
    if (!found) return this.#masked(text);
    return this.segments(text).map((s) => ("text" in s ? s.text : `$${s.variable}`)).join("");
  }

  #masked(text: string): string {
    const compiled = this.#compile();
    // Most text has nothing shaped like a credential: nothing to mask, no public value to set aside (a
    // value set aside only breaks a shape, never makes one).
    if (!compiled.shapes.some((re) => (re.lastIndex = 0, re.test(text)))) return text;
    // Public values step aside while shapes are masked, then come back as they were.
    const kept = compiled.kept.filter((v) => text.includes(v));
    let out = kept.reduce((t, value, i) => t.split(value).join(`\u0000${i}\u0000`), text);
    for (const re of compiled.shapes) out = out.replace(re, "<redacted>");
    return kept.reduce((t, value, i) => t.split(`\u0000${i}\u0000`).join(value), out);
  }

  /** `text` as a report shows it: secrets masked, characters made visible, at most `max` characters. */
  shown(text: string, max = MAX_TEXT, lines = false): string {
    const compiled = this.#compile();
    const memo = text.length > SHOWN_MEMO_CHARS
      ? undefined
      : max === MAX_TEXT && !lines
      ? compiled.shownTexts
      : max === MAX_BODY && lines
      ? compiled.shownBodies
      : undefined;
    let out = memo?.get(text);
    if (out === undefined) {
      out = bounded(printable(this.apply(text), lines), max);
      if (memo && memo.size >= SHOWN_MEMO) memo.clear();
      memo?.set(text, out);
    }
    return out;
  }
}

/**
 * Characters no report may carry as they are: C0 and C1 controls but tab and
 * line feed (an escape sequence would drive the terminal; XML 1.0 refuses
 * them), lone surrogates and U+FFFE/U+FFFF (not text), and the bidirectional
 * overrides (text that reads other than it is). Each becomes a visible `\u…`.
 */
const UNPRINTABLE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` with every character a report may not carry written as a visible
 * escape; line breaks too unless `lines` (a body): a one-line text (a reason,
 * a detail) cannot start a line of its own on a terminal or in a log.
 */
export function printable(text: string, lines = false): string {
  const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  const out = text.replace(UNPRINTABLE, escape);
  return lines ? out : out.replace(/[\n\u2028\u2029]/g, escape);
}

const CUT = /… \[cut: \d+ of (\d+) characters shown\]$/;

/** `text` cut to `max` characters, with a note saying how much there was (cutting twice keeps the first total). */
export function bounded(text: string, max: number): string {
  const note = CUT.exec(text);
  const kept = note ? text.slice(0, note.index) : text;
  if (kept.length <= max) return text;
  // Never half a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(kept[max - 1]!) ? max - 1 : max;
  return `${kept.slice(0, end)}… [cut: ${end} of ${note ? note[1] : kept.length} characters shown]`;
}

/** A case as reports show it: every string of it redacted and made printable, bodies and texts bounded. */
export function redactCase(r: CaseResult, redactor: Redactor): CaseResult {
  const walk = (value: unknown, key: string): unknown => {
    if (typeof value === "string") {
      return key === "body" ? redactor.shown(value, MAX_BODY, true) : redactor.shown(value, MAX_TEXT);
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, key));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) {
        const v = walk((value as Record<string, unknown>)[k], k);
        // A plain assignment to "__proto__" would set the prototype: the key stays a key, as it came.
        if (k === "__proto__") {
          Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
        } else out[k] = v;
      }
      return out;
    }
    return value;
  };
  // The reproduction is made from the data already redacted, as shell words; it is never rewritten as text.
  const { curl, ...rest } = r;
  return { ...(walk(rest, "") as Omit<CaseResult, "curl">), ...(curl === undefined ? {} : { curl }) };
}

/** A run as reports show it: every case and note through {@linkcode redactCase}. */
export function redactRun(run: RunResult, redactor: Redactor): RunResult {
  return {
    ...run,
    results: run.results.map((r) => redactCase(r, redactor)),
    notes: run.notes.map((n) => redactor.shown(n)),
  };
}
