/**
 * What a target's discovery document (`/.well-known/setchat.json`) tells the
 * run about choices the contract leaves open: where its widget script and its
 * token listing are, which claim of its visitor tokens names the tenant. A
 * case that needs one the target does not declare is not applicable to it,
 * never failed: the suite does not guess a reference choice.
 */
import type { Discovery } from "../src/contract/meta.ts";
import type { TargetVars } from "./target.ts";

/** Variables a fixture may use that come from the discovery document. */
export const DISCOVERED_VARIABLES = ["widgetScript", "tokenListing", "foreignTokenListing", "tenantClaim"] as const;
/** A variable from the discovery document. */
export type DiscoveredVariable = (typeof DISCOVERED_VARIABLES)[number];

/** Why a case needing each is not applicable when the target does not declare it. */
const UNDECLARED: Record<DiscoveredVariable, string> = {
  widgetScript: "the target declares no widget script (widgetScript, or the browser surface, in " +
    "/.well-known/setchat.json)",
  tokenListing: "the target declares no server token listing (tokenListing in /.well-known/setchat.json)",
  foreignTokenListing: "the target declares no server token listing (tokenListing in /.well-known/setchat.json)",
  tenantClaim: "the target declares no tenant claim (tenantClaim in /.well-known/setchat.json), so no token " +
    "claiming another tenant can be written for it",
};

/** The reason a case needing `name` is skipped, as the report shows it. */
export function undeclared(name: DiscoveredVariable): string {
  return `not applicable: ${UNDECLARED[name]}`;
}

/** A path of the target's own origin, from a path or a URL of `apiUrl`'s origin; `undefined` for another origin. */
function ownPath(value: string, apiUrl: string): string | undefined {
  if (value.startsWith("/")) return value;
  try {
    const url = new URL(value);
    return url.origin === new URL(apiUrl).origin ? `${url.pathname}${url.search}` : undefined;
  } catch {
    return undefined;
  }
}

/** The values the discovery document gives, by variable; a variable it does not give is absent. */
export function discoveredValues(
  discovery: Discovery | null,
  options: { apiUrl: string; vars: TargetVars },
): Partial<Record<DiscoveredVariable, string>> {
  if (!discovery) return {};
  const out: Partial<Record<DiscoveredVariable, string>> = {};
  // A target that declares the browser surface serves the widget script, at the contract's path unless it says.
  const script = discovery.widgetScript ?? (discovery.surfaces.includes("browser") ? "/widget.js" : undefined);
  const scriptPath = script === undefined ? undefined : ownPath(script, options.apiUrl);
  if (scriptPath) out.widgetScript = scriptPath;
  const listing = discovery.tokenListing;
  const { tenantId, foreignTenantId } = options.vars;
  if (listing && tenantId) out.tokenListing = listing.replaceAll("{tenantId}", encodeURIComponent(tenantId));
  if (listing && foreignTenantId) {
    out.foreignTokenListing = listing.replaceAll("{tenantId}", encodeURIComponent(foreignTenantId));
  }
  if (discovery.tenantClaim) out.tenantClaim = discovery.tenantClaim;
  return out;
}
