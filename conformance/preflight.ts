/**
 * Before any case runs: the target answers, the server token mints, and the
 * credentials are not mixed up. A run that cannot start stops with one
 * sentence (exit 2) instead of a report full of failures, and before a
 * swapped credential can rotate anything. Against several nodes, each one
 * is checked, and all must serve the same discovery document.
 */
import { Discovery } from "../src/contract/meta.ts";
import { declaredProfile, namedProfile, type Profile, type ProfileName } from "./levels.ts";
import type { Target } from "./target.ts";
import { ENV_NAMES } from "./variables.ts";

/** What the preflight learnt. */
export interface Preflight {
  /** One sentence when the run cannot go on. */
  problem?: string;
  /** The target's discovery document, when it serves a valid one. */
  discovery?: Discovery;
  /** Why a discovery document was ignored. */
  discoveryNote?: string;
}

/** The discovery document a node serves, or why it has none usable. */
export async function discover(
  node: string,
  timeoutMs: number,
): Promise<Pick<Preflight, "discovery" | "discoveryNote">> {
  const res = await fetch(`${node}/.well-known/setchat.json`, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (res.status === 404) return { discoveryNote: "the target serves no /.well-known/setchat.json" };
  if (!res.ok) return { discoveryNote: `/.well-known/setchat.json answered ${res.status}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { discoveryNote: "/.well-known/setchat.json is not JSON" };
  }
  const parsed = Discovery.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      discoveryNote: `/.well-known/setchat.json is not valid (${issue.path.join(".") || "body"}: ${issue.message})`,
    };
  }
  return { discovery: parsed.data };
}

/** Checks that the run can start against `target`. */
export async function preflight(target: Target, timeoutMs: number): Promise<Preflight> {
  const v = target.vars;
  for (const name of ["serverToken", "siteApiKey"] as const) {
    if (!v[name]) return { problem: `Cannot run: ${ENV_NAMES[name]} is not set, and every case starts by minting` };
  }
  const same = (a: keyof typeof v, b: keyof typeof v, what: string) =>
    v[a] && v[a] === v[b] ? `Cannot run: ${ENV_NAMES[a]} is the same as ${ENV_NAMES[b]}: ${what}` : undefined;
  const mixup = same("adminToken", "serverToken", "give the tenant's admin credential, not its server token") ??
    same("foreignAdminToken", "adminToken", "give the admin credential of a second tenant") ??
    same("foreignAdminToken", "serverToken", "give the admin credential of a second tenant") ??
    same("foreignTenantId", "tenantId", "give the id of a second tenant") ??
    same("foreignSiteApiKey", "siteApiKey", "give a site of a second tenant");
  if (mixup) return { problem: mixup };
  // Every node must answer and mint: a node left out of the deployment fails here, not in half the cases.
  let first: Pick<Preflight, "discovery" | "discoveryNote"> | undefined;
  for (const [k, node] of target.nodes.entries()) {
    const named = target.nodes.length > 1 ? ` (node ${k + 1} of ${target.nodes.length})` : "";
    const checked = await checkNode(node, v, timeoutMs, named);
    if ("problem" in checked) return checked;
    if (!first) {
      first = checked;
    } else if (declared(checked.discovery) !== declared(first.discovery)) {
      return {
        problem: `Cannot run: ${node}${named} declares other surfaces or another version in ` +
          `/.well-known/setchat.json than ${target.apiUrl}: the nodes must be one deployment of one version`,
      };
    }
  }
  return first ?? {};
}

/** What a discovery document declares, less the URLs that name the node itself. */
function declared(d: Discovery | undefined): string {
  return JSON.stringify(d ? [d.implementation, d.contractVersion, [...d.surfaces].sort(), d.referenceChoices] : null);
}

async function checkNode(
  node: string,
  v: Target["vars"],
  timeoutMs: number,
  named: string,
): Promise<Pick<Preflight, "discovery" | "discoveryNote"> | { problem: string }> {
  let found: Pick<Preflight, "discovery" | "discoveryNote">;
  try {
    found = await discover(node, timeoutMs);
  } catch (error) {
    return { problem: `Cannot reach ${node}${named}: ${(error as Error).message}` };
  }
  let res: Response;
  try {
    res = await fetch(`${node}/api/widget/visitor-token`, {
      method: "POST",
      headers: { authorization: `Bearer ${v.serverToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        siteApiKey: v.siteApiKey,
        externalUserId: `conformance-preflight-${crypto.randomUUID()}`,
      }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { problem: `Cannot reach ${node}${named}: ${(error as Error).message}` };
  }
  const text = await res.text();
  let token: unknown;
  try {
    token = (JSON.parse(text) as { token?: unknown }).token;
  } catch { /* not JSON: reported below */ }
  if (!res.ok || typeof token !== "string") {
    return {
      problem: `Cannot run: the server token does not mint a visitor token at ${node}${named} ` +
        `(POST /api/widget/visitor-token answered ${res.status}${res.ok ? " without a token" : ""}): ` +
        "check SETCHAT_API_URL, SETCHAT_SERVER_TOKEN and SETCHAT_SITE_API_KEY",
    };
  }
  return found;
}

/**
 * The profile a run uses: the one chosen with `--profile`, else the
 * reference's own in process, else the one the target declares, else `s2s`.
 */
export function profileFor(chosen: ProfileName | undefined, target: Target, checked: Preflight): Profile {
  return chosen
    ? namedProfile(chosen, "chosen with --profile")
    : target.inProcess
    ? namedProfile("reference", "the default for the reference in process")
    : checked.discovery
    ? declaredProfile(checked.discovery, `declared by ${target.apiUrl}/.well-known/setchat.json`)
    : namedProfile("s2s", `the default: ${checked.discoveryNote ?? "no discovery document"}`);
}
