/** Variables in fixtures: `{{name}}`, `{{repeat:x:20000}}`, and paths into bodies. */

/** Variables known while a case runs. */
export type Vars = Record<string, unknown>;

const VAR = /\{\{\s*([^}]+?)\s*\}\}/g;

/** A template refers to a variable nobody set. */
export class MissingVariable extends Error {
  override name = "MissingVariable";
  constructor(readonly variable: string) {
    super(`Cannot render the template: "${variable}" is not set`);
  }
}

function lookup(expression: string, vars: Vars): unknown {
  const repeat = /^repeat:(.+):(\d+)$/.exec(expression);
  if (repeat) return repeat[1]!.repeat(Number(repeat[2]));
  if (!(expression in vars) || vars[expression] === undefined) throw new MissingVariable(expression);
  return vars[expression];
}

/** Renders a string; a string that is exactly one `{{variable}}` keeps the variable's type. */
export function renderString(template: string, vars: Vars): unknown {
  const whole = /^\{\{\s*([^}]+?)\s*\}\}$/.exec(template);
  if (whole) return lookup(whole[1]!, vars);
  return template.replace(VAR, (_, e: string) => {
    const v = lookup(e, vars);
    return typeof v === "string" ? v : JSON.stringify(v);
  });
}

/** Renders every string inside a JSON value. */
export function render(value: unknown, vars: Vars): unknown {
  if (typeof value === "string") return renderString(value, vars);
  if (Array.isArray(value)) return value.map((v) => render(v, vars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [renderString(k, vars) as string, render(v, vars)]),
    );
  }
  return value;
}

/**
 * The value at `path` in `value`: dots between keys and indexes
 * (`conversations.0.id`), and `[*]` to map an array (`conversations[*].id`).
 * `undefined` when the path leads nowhere.
 */
export function select(value: unknown, path: string): unknown {
  if (path === "" || path === "$") return value;
  const [head, ...rest] = path.split(".");
  const tail = rest.join(".");
  const star = /^(.*)\[\*\]$/.exec(head!);
  if (star) {
    const list = star[1] ? select(value, star[1]) : value;
    return Array.isArray(list) ? list.map((item) => select(item, tail)) : undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const next = (value as Record<string, unknown>)[head!];
  return tail ? select(next, tail) : next;
}

/** Whether `actual` contains `expected`: objects by subset, arrays element by element, the rest by equality. */
export function matchesSubset(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== "object") return Object.is(actual, expected);
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length &&
      expected.every((e, i) => matchesSubset(actual[i], e));
  }
  if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return false;
  return Object.entries(expected).every(([k, e]) => matchesSubset((actual as Record<string, unknown>)[k], e));
}
