/**
 * Finds the new server token in a rotate answer without assuming its shape:
 * the contract says a rotation shows the new token once, not under which
 * name. The field the discovery document names (`rotateTokenField`) is taken
 * at its word; otherwise each string of the answer is tried, in order, until
 * one authenticates as a server token. The report says which field it was.
 */
import { select } from "./template.ts";

/** Where the new token was found, and how. */
export interface FoundToken {
  token: string;
  /** Its path in the answer (`token`, `data.secret`). */
  field: string;
  how: "declared" | "authenticates";
}

/** Why no new token could be told. */
export interface NoToken {
  problem: string;
}

/** The most strings of one answer tried: a rotate answer is small. */
const MAX_CANDIDATES = 24;
/** No credential is shorter: ids, statuses and prefixes are skipped without a request. */
const MIN_CANDIDATE_LENGTH = 16;

/** Every string of a JSON value with its path, depth first, in the answer's order. */
export function stringsOf(value: unknown, path = "", out: [string, string][] = []): [string, string][] {
  if (typeof value === "string") out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => stringsOf(v, path ? `${path}.${i}` : String(i), out));
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) stringsOf(v, path ? `${path}.${k}` : k, out);
  }
  return out;
}

/**
 * The new server token of `answer`. `known` tells a credential the run
 * already has (never a new one); `authenticates` tries a string as a server
 * token, or is `undefined` when the run cannot (no site of the tenant).
 */
export async function findRotatedToken(
  answer: unknown,
  options: {
    declaredField?: string | undefined;
    known: (value: string) => boolean;
    authenticates?: ((candidate: string) => Promise<boolean>) | undefined;
  },
): Promise<FoundToken | NoToken> {
  const { declaredField } = options;
  if (declaredField !== undefined) {
    const token = select(answer, declaredField);
    return typeof token === "string" && token !== ""
      ? { token, field: declaredField, how: "declared" }
      : { problem: `the rotate answer has no string at "${declaredField}", the field the discovery document names` };
  }
  const candidates = stringsOf(answer)
    .filter(([, v]) => v.length >= MIN_CANDIDATE_LENGTH && !/\s/.test(v) && !options.known(v))
    .slice(0, MAX_CANDIDATES);
  if (candidates.length === 0) {
    return { problem: "the rotate answer holds no string that could be a new server token (none unseen before)" };
  }
  if (!options.authenticates) {
    return {
      problem: "cannot tell which string of the rotate answer is the new server token: the run has no site of " +
        "this tenant to try them on (declare rotateTokenField in /.well-known/setchat.json)",
    };
  }
  for (const [field, token] of candidates) {
    if (await options.authenticates(token)) return { token, field, how: "authenticates" };
  }
  return {
    problem: `none of the ${candidates.length} unseen string(s) of the rotate answer authenticates as a server ` +
      "token: it shows no new token",
  };
}

/** The check the report shows for a token found: which field held it, and how the run knew. */
export function foundCheck(found: FoundToken): string {
  return `new server token at "${found.field}" (${
    found.how === "declared" ? "the field the discovery document names" : "the one string of the answer that mints"
  })`;
}
