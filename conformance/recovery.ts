/**
 * Every server token a rotation returned during a run, expected or not, so
 * that a tenant is never left without a token it can deploy. The file is
 * rewritten (mode 0600) at each rotation, so it survives a run that stops
 * half-way. At the end of the run, the one token of each tenant found
 * active is written last, so that sourcing the file leaves it in effect.
 *
 * A token is the target's data, and people source this file: each value is
 * single-quoted, and a value that could not be a bearer token at all (RFC
 * 6750's characters) is left out, with a note saying so, so that sourcing
 * the file runs nothing a target chose.
 */
import { dirname } from "node:path";

/** One rotation the target answered with a token. */
export interface Rotation {
  caseId: string;
  tenantId: string;
  token: string;
  /** Whether the case expected the rotation to succeed. */
  expected: boolean;
  at: string;
}

/** Options of {@linkcode RotationLog}. */
export interface RotationLogOptions {
  /** Where to write the tokens; nowhere when absent (the in-process reference). */
  file?: string | undefined;
  /** The target tenant and the foreign tenant, to name their variables. */
  tenantId?: string | undefined;
  foreignTenantId?: string | undefined;
  target: string;
}

/** The rotations of one run. */
export class RotationLog {
  readonly rotations: Rotation[] = [];
  /** Rotations whose token is not shaped like a bearer token: kept out of the file. */
  readonly refused: Rotation[] = [];
  /** Tenants whose revoke-previous the target accepted. */
  readonly revokedTenants = new Set<string>();
  /** The token found active after the run, by tenant, when exactly one was. */
  readonly active = new Map<string, string>();
  readonly #options: RotationLogOptions;
  #writing: Promise<void> = Promise.resolve();

  constructor(options: RotationLogOptions) {
    this.#options = options;
  }

  /** Where the tokens go, if anywhere. */
  get file(): string | undefined {
    return this.#options.file;
  }

  /** The environment variable a tenant's token is kept under. */
  variableFor(tenantId: string): string {
    if (tenantId === this.#options.tenantId) return "SETCHAT_SERVER_TOKEN";
    if (tenantId === this.#options.foreignTenantId) return "SETCHAT_FOREIGN_SERVER_TOKEN";
    return `SETCHAT_SERVER_TOKEN_${tenantId.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}`;
  }

  /** Records a rotation and rewrites the file; a token no bearer token can be is refused, and reported. */
  record(rotation: Omit<Rotation, "at">): Promise<void> {
    const at = { ...rotation, at: new Date().toISOString() };
    if (!isBearerToken(rotation.token)) {
      this.refused.push(at);
      return Promise.resolve();
    }
    this.rotations.push(at);
    return this.#write();
  }

  /** Records the one token of `tenantId` found active after the run, and rewrites the file. */
  settle(tenantId: string, token: string): Promise<void> {
    this.active.set(tenantId, token);
    return this.#write();
  }

  #write(): Promise<void> {
    const file = this.#options.file;
    if (!file) return Promise.resolve();
    const text = this.text();
    this.#writing = this.#writing.then(async () => {
      await Deno.mkdir(dirname(file), { recursive: true });
      await Deno.writeTextFile(file, text, { mode: 0o600 });
      await Deno.chmod(file, 0o600);
    });
    return this.#writing;
  }

  /** The file's text. */
  text(): string {
    const lines = [
      `# Server tokens returned by rotations during a conformance run against ${comment(this.#options.target)}.`,
      "# Keep this file private, never in a CI artifact. Each tenant's last line is the token to deploy where the old",
      "# one was: the one found active after the run, or else the newest.",
    ];
    for (const r of this.rotations) {
      lines.push(
        `# ${r.at} ${r.caseId}, tenant ${comment(r.tenantId)}${
          r.expected ? "" : " (unexpected: the target accepted it)"
        }`,
        `${this.variableFor(r.tenantId)}=${shellQuoted(r.token)}`,
      );
    }
    for (const [tenantId, token] of this.active) {
      lines.push(
        `# after the run, the active token of tenant ${comment(tenantId)}`,
        `${this.variableFor(tenantId)}=${shellQuoted(token)}`,
      );
    }
    return lines.join("\n") + "\n";
  }
}

/**
 * Whether `value` can be a bearer token at all: RFC 6750's `b64token`
 * (letters, digits, `-._~+/`, then `=` padding), at most 4 KiB. A server
 * token must be, since the contract sends it as `Authorization: Bearer`.
 */
export function isBearerToken(value: string): boolean {
  return value.length <= 4096 && /^[A-Za-z0-9\-._~+/]+=*$/.test(value);
}

/** `value` as one single-quoted shell word: nothing in it is expanded. */
export function shellQuoted(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `text` on one comment line: no line break or control character can end the comment. */
function comment(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
}

/** The operation and tenant id of a rotation or revocation path, or `undefined` for any other path. */
export function tokenOperation(
  path: string,
): { operation: "rotate" | "revoke-previous"; tenantId: string } | undefined {
  const m = /^\/api\/tenants\/([^/?]+)\/widget-identity\/s2s-token\/(rotate|revoke-previous)(?:\?.*)?$/.exec(path);
  if (!m) return undefined;
  return { operation: m[2] as "rotate" | "revoke-previous", tenantId: decodedId(m[1]!) };
}

function decodedId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // a malformed escape: the id as sent
  }
}
