/**
 * Every server token a rotation returned during a run, expected or not, so
 * that a tenant is never left without a token it can deploy. The file is
 * rewritten (mode 0600) at each rotation, so it survives a run that stops
 * half-way; sourcing it leaves each tenant's newest token in effect.
 */

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
  /** Tenants whose revoke-previous the target accepted. */
  readonly revokedTenants = new Set<string>();
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

  /** Records a rotation and rewrites the file. */
  record(rotation: Omit<Rotation, "at">): Promise<void> {
    this.rotations.push({ ...rotation, at: new Date().toISOString() });
    const file = this.#options.file;
    if (!file) return Promise.resolve();
    const text = this.text();
    this.#writing = this.#writing.then(async () => {
      await Deno.writeTextFile(file, text, { mode: 0o600 });
      await Deno.chmod(file, 0o600);
    });
    return this.#writing;
  }

  /** The file's text. */
  text(): string {
    const lines = [
      `# Server tokens returned by rotations during a conformance run against ${this.#options.target}.`,
      "# Keep this file private. Each tenant's last line is its newest token: deploy it where the old one was.",
    ];
    for (const r of this.rotations) {
      lines.push(
        `# ${r.at} ${r.caseId}, tenant ${r.tenantId}${r.expected ? "" : " (unexpected: the target accepted it)"}`,
        `${this.variableFor(r.tenantId)}=${r.token}`,
      );
    }
    return lines.join("\n") + "\n";
  }
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
