/**
 * Runs the suite against every broken build and tells which cases catch each:
 * the reference's own broken builds (in process, reference profile), the
 * broken widgets (browser scenarios), and the bugs planted in the independent
 * implementation (over HTTP, the profile its discovery document declares, as
 * a vendor would run it).
 */
import { join } from "node:path";
import { type BugName, BUGS, startIndependentServer } from "../../independent/server.ts";
import { launchChromium } from "../browser/chromium.ts";
import { runBrowserScenarios } from "../browser/run.ts";
import { SCENARIOS } from "../browser/scenarios.ts";
import { buildWidgetMutant, WIDGET_MUTANTS } from "./widget_mutants.ts";
import { main } from "../cli.ts";
import { loadFixtures } from "../fixtures.ts";
import { type Level, SURFACES } from "../levels.ts";
import { MUTANTS } from "./mutants.ts";
import { type CaseResult, exitCodeOf, runSuite } from "../runner.ts";
import { startInProcessTarget } from "../target.ts";

/** One broken build and the cases that caught it. */
export interface Kill {
  mutant: string;
  bug: string;
  breaks: string;
  caughtBy: string[];
  /** The strongest level of the checks that caught it. */
  level?: Level;
}

const CAUGHT: Record<string, Level> = { failed: "must", warning: "should", deviation: "reference" };

function caught(results: CaseResult[]): Pick<Kill, "caughtBy" | "level"> {
  const hits = results.filter((r) => r.status in CAUGHT);
  const levels = hits.map((r) => CAUGHT[r.status]!);
  const level = (["must", "should", "reference"] as const).find((l) => levels.includes(l));
  return { caughtBy: hits.map((r) => r.id), ...(level ? { level } : {}) };
}

/** Runs the whole suite against each of the reference's broken builds. */
export async function killTable(fixtures = "fixtures"): Promise<Kill[]> {
  const cases = await loadFixtures(fixtures);
  const kills: Kill[] = [];
  for (const m of MUTANTS) {
    const target = await startInProcessTarget(m.options());
    try {
      // One case at a time: what a broken build shows one case (another visitor's conversation, say) depends on what
      // the cases before it wrote, and only a fixed order makes the table the same on every run.
      const run = await runSuite({ target, cases, concurrency: 1 });
      kills.push({ mutant: m.name, bug: m.bug, breaks: m.breaks, ...caught(run.results) });
    } finally {
      await target.close();
    }
  }
  return kills;
}

/** The kill table as Markdown for docs/conformance.md. */
export function killTableMarkdown(kills: Kill[]): string {
  const rows = kills.map((k) => {
    const shown = k.caughtBy.slice(0, 3).map((id) => `\`${id}\``).join(", ");
    const more = k.caughtBy.length > 3 ? ` and ${k.caughtBy.length - 3} more` : "";
    return `| \`${k.mutant}\` | ${k.bug} | ${k.breaks} | ${k.level ?? ""} | ${
      k.caughtBy.length ? `${shown}${more}` : "**survives**"
    } |`;
  });
  return ["| mutant | its bug | breaks | caught at | caught by |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** Runs the browser scenarios of the clause each broken widget breaks against it. */
export async function widgetKillTable(): Promise<Kill[]> {
  const target = await startInProcessTarget();
  const browser = await launchChromium();
  try {
    const kills: Kill[] = [];
    for (const m of WIDGET_MUTANTS) {
      const results = await runBrowserScenarios({
        target,
        browser,
        scenarios: SCENARIOS.filter((s) => s.clause === m.breaks),
        widgetScript: await buildWidgetMutant(m),
      });
      kills.push({
        mutant: m.name,
        bug: m.bug,
        breaks: m.breaks,
        caughtBy: results.filter((r) => r.status === "failed").map((r) => r.id),
      });
    }
    return kills;
  } finally {
    await browser.close();
    await target.close();
  }
}

/** The broken widgets' kill table as Markdown for docs/conformance.md. */
export function widgetKillTableMarkdown(kills: Kill[]): string {
  return [
    "| broken widget | its bug | breaks | caught by |",
    "|---|---|---|---|",
    ...kills.map((k) =>
      `| \`${k.mutant}\` | ${k.bug} | ${k.breaks} | ${
        k.caughtBy.length ? k.caughtBy.map((id) => `\`${id}\``).join(", ") : "**survives**"
      } |`
    ),
  ].join("\n");
}

/**
 * The case that names each bug planted in the independent implementation,
 * and the level of the rule it breaks. The bugs were written apart from the
 * suite, from the contract alone; a `must` bug fails the run, a `should` bug
 * warns (and fails it with `--strict`).
 */
export const PLANTED: Record<BugName, { caughtBy: string; level: "must" | "should" }> = {
  "server-token-prefix-compare": { caughtBy: "s2s-auth-tail-changed", level: "must" },
  "server-token-case-folded": { caughtBy: "s2s-auth-case-swapped", level: "must" },
  "missing-token-trusts-site": { caughtBy: "s2s-auth-missing", level: "must" },
  "empty-bearer-crash": { caughtBy: "s2s-auth-missing", level: "must" },
  "revoked-token-403": { caughtBy: "rot-rotate-revoke", level: "must" },
  "error-quotes-token": { caughtBy: "s2s-no-credential-echo", level: "must" },
  "www-authenticate-echo": { caughtBy: "s2s-no-credential-echo", level: "must" },
  "invalid-json-500": { caughtBy: "input-malformed-json-mint", level: "must" },
  "null-body-crash": { caughtBy: "input-json-array", level: "must" },
  "user-id-coerced": { caughtBy: "s2s-body-wrong-types", level: "must" },
  "missing-field-422": { caughtBy: "s2s-body-missing-required", level: "must" },
  "metadata-recursive-walk": { caughtBy: "input-deep-nesting", level: "must" },
  "oversized-body-500": { caughtBy: "input-mint-body-huge", level: "must" },
  "foreign-site-minted": { caughtBy: "s2s-site-of-another-tenant", level: "must" },
  "site-prefix-match": { caughtBy: "s2s-site-unknown", level: "must" },
  "sub-case-folded": { caughtBy: "s2s-sub-exact", level: "must" },
  "sub-nfc-normalised": { caughtBy: "s2s-sub-exact", level: "must" },
  "sub-trimmed": { caughtBy: "s2s-sub-exact", level: "must" },
  "aud-is-tenant": { caughtBy: "s2s-mint-minimal", level: "must" },
  "iat-in-milliseconds": { caughtBy: "s2s-mint-issued-now", level: "must" },
  "exp-off-by-one": { caughtBy: "s2s-mint-lifetime", level: "must" },
  "lifetime-one-hour": { caughtBy: "s2s-mint-lifetime", level: "must" },
  "expires-in-milliseconds": { caughtBy: "s2s-mint-lifetime", level: "must" },
  "expires-in-snake-missing": { caughtBy: "s2s-mint-minimal", level: "must" },
  "metadata-stringified": { caughtBy: "s2s-mint-full-profile", level: "should" },
  "tenant-claim-missing": { caughtBy: "s2s-mint-token-shape", level: "should" },
  "node-local-signing-key": { caughtBy: "s2s-mint-signature", level: "must" },
  "jwks-private-key": { caughtBy: "meta-jwks-no-private-parts", level: "must" },
  "rotate-revokes-previous": { caughtBy: "rot-rotate-revoke", level: "must" },
  "rotate-replaces-pending": { caughtBy: "rot-two-rotations", level: "must" },
  "rotate-replays-token": { caughtBy: "rot-rotate-returns-token-once", level: "must" },
  "revoke-previous-revokes-current": { caughtBy: "rot-rotate-revoke", level: "must" },
  "revoke-previous-only-last": { caughtBy: "rot-two-rotations", level: "must" },
  "revoke-previous-toggles": { caughtBy: "rot-rotate-revoke", level: "must" },
  "revoke-previous-not-idempotent": { caughtBy: "rot-rotate-revoke", level: "must" },
  "revocation-lag": { caughtBy: "rot-rotate-revoke", level: "must" },
  "stale-node-cache": { caughtBy: "rot-rotate-revoke", level: "must" },
  "revoke-echoes-current": { caughtBy: "rot-rotate-revoke", level: "must" },
  "admin-any-tenant": { caughtBy: "rot-cross-tenant", level: "must" },
  "revoke-previous-all-tenants": { caughtBy: "rot-revoke-own-tenant-only", level: "must" },
  "path-id-decode-crash": { caughtBy: "rot-unknown-tenant", level: "must" },
  "ops-error-quotes-admin-token": { caughtBy: "rot-ops-need-credential", level: "must" },
  "empty-user-id-minted": { caughtBy: "s2s-body-empty-user", level: "must" },
  "audience-unchecked": { caughtBy: "token-wrong-site", level: "must" },
  "tenant-claim-unchecked": { caughtBy: "token-resigned-other-tenant", level: "must" },
  "revoked-minter-opens-sessions": { caughtBy: "rot-revoked-minter", level: "must" },
  "visibility-merges-by-email": { caughtBy: "vis-no-merge-prechat-email", level: "must" },
  "device-ignored-for-anonymous": { caughtBy: "vis-anonymous-other-device", level: "must" },
  "site-ignored-for-verified": { caughtBy: "vis-other-site-by-id", level: "must" },
  "existence-leak-403": { caughtBy: "vis-404-everywhere", level: "must" },
  "claimed-user-id-echoed": { caughtBy: "vis-no-merge-client-user-id", level: "must" },
  "history-oldest-first": { caughtBy: "conv-newest-first", level: "must" },
  "device-adopted-across-tenants": { caughtBy: "ses-device-other-tenant", level: "must" },
  "workspace-ignored": { caughtBy: "ws-verified-separate", level: "must" },
  "workspace-binding-ignored": { caughtBy: "ws-bound-token-other-workspace", level: "must" },
  "logout-keeps-device": { caughtBy: "logout-retires-device", level: "must" },
  "logout-ends-one-tab": { caughtBy: "logout-ends-other-tabs", level: "must" },
  "client-data-overwrites-verified": { caughtBy: "custom-data-kept-apart", level: "must" },
  "cursor-skips-one": { caughtBy: "conv-post-and-poll", level: "must" },
  "cursor-other-conversation": { caughtBy: "conv-cursor-not-in-conversation", level: "must" },
  "widget-null-500": { caughtBy: "input-session-user-name", level: "must" },
  "agent-reads-any-tenant": { caughtBy: "agent-foreign-conversation", level: "must" },
  "listing-shows-plaintext": { caughtBy: "rot-list-no-plaintext", level: "must" },
};

/** One planted bug and how the run against it ended. */
export interface PlantedKill {
  bug: BugName;
  description: string;
  level: "must" | "should";
  /** The case that names the bug. */
  named: string;
  /** How the named case ended. */
  namedStatus: string;
  exitCode: number;
  /** The exit code with `--strict`. */
  strictExitCode: number;
  caughtBy: string[];
}

/** Writes a target's variables as an env file, as a vendor would keep them. */
async function writeEnvFile(path: string, env: Record<string, string>): Promise<void> {
  await Deno.writeTextFile(path, Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n") + "\n", { mode: 0o600 });
}

/**
 * Runs `deno task conformance --env-file F --allow-destructive --no-skips`
 * against the independent implementation with `bugs` switched on: the
 * profile its discovery document declares, its signing key given as a
 * vendor's operator would give it (`SETCHAT_SIGNING_KEY_FILE`).
 */
export async function runAgainstIndependent(
  bugs: readonly BugName[],
  extraArgs: string[] = [],
): Promise<{ exitCode: number; results: CaseResult[]; dir: string; close(): Promise<void> }> {
  const server = await startIndependentServer({ bugs });
  const dir = await Deno.makeTempDir({ prefix: "setchat-conformance-" });
  const close = async () => {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  };
  try {
    const envFile = join(dir, "staging.env");
    const keyFile = join(dir, "signing-key.json");
    await Deno.writeTextFile(keyFile, JSON.stringify(server.signingJwk), { mode: 0o600 });
    await writeEnvFile(envFile, { ...server.env, SETCHAT_SIGNING_KEY_FILE: keyFile });
    const args = ["--env-file", envFile, "--allow-destructive", "--no-skips", "--reporter", "json"];
    const { exitCode, run } = await main([...args, "--out", join(dir, "reports"), ...extraArgs], { print: () => {} });
    return { exitCode, results: run?.results ?? [], dir, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** How the run against the independent correct build ended, surface by surface: the verdict table of the docs. */
export function independentVerdictMarkdown(exitCode: number, results: CaseResult[]): string {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    const key = r.surfaces.join(", ") || "none";
    groups.set(key, [...groups.get(key) ?? [], r]);
  }
  const count = (rs: CaseResult[], status: string) => rs.filter((r) => r.status === status).length;
  // s2s first, then each surface's combinations in the contract's order, cases needing none last.
  const order = (surfaces: string) => surfaces.split(", ").map((x) => SURFACES.indexOf(x as never)).join(",");
  const rows = [...groups].sort(([a], [b]) =>
    Number(a === "none") - Number(b === "none") || order(a).localeCompare(order(b))
  ).map(([surfaces, rs]) =>
    `| ${surfaces} | ${rs.length} | ${count(rs, "passed")} | ${count(rs, "warning")} | ${count(rs, "failed")} | ${
      count(rs, "skipped")
    } | ${count(rs, "not-in-profile")} |`
  );
  const all = (status: string) => count(results, status);
  return [
    "| surfaces a case needs | cases | passed | warnings | failed | not applicable | not in profile |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    `| **all** (exit ${exitCode}) | ${results.length} | ${all("passed")} | ${all("warning")} | ${all("failed")} | ${
      all("skipped")
    } | ${all("not-in-profile")} |`,
  ].join("\n");
}

/** The verdict table of the independent correct build, from a run of it. */
export async function independentVerdict(): Promise<string> {
  const { exitCode, results, close } = await runAgainstIndependent([]);
  try {
    return independentVerdictMarkdown(exitCode, results);
  } finally {
    await close();
  }
}

/** Runs the declared profile against each planted bug, a few at a time. */
export async function plantedKillTable(concurrency = 6): Promise<PlantedKill[]> {
  const queue = Object.keys(PLANTED) as BugName[];
  const kills = new Map<BugName, PlantedKill>();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let bug = queue.shift(); bug; bug = queue.shift()) {
      const { exitCode, results, close } = await runAgainstIndependent([bug]);
      try {
        const { caughtBy: named, level } = PLANTED[bug];
        kills.set(bug, {
          bug,
          description: BUGS[bug],
          level,
          named,
          namedStatus: results.find((r) => r.id === named)?.status ?? "missing",
          exitCode,
          strictExitCode: exitCodeOf({ strict: true, results }),
          caughtBy: caught(results).caughtBy,
        });
      } finally {
        await close();
      }
    }
  }));
  return (Object.keys(PLANTED) as BugName[]).map((b) => kills.get(b)!);
}

/** The planted bugs' kill table as Markdown for docs/conformance.md. */
export function plantedKillTableMarkdown(kills: PlantedKill[]): string {
  const rows = kills.map((k) =>
    `| \`${k.bug}\` | ${k.description} | ${k.level} | \`${k.named}\` | ${
      k.level === "must" ? `exit ${k.exitCode}` : `warning; exit ${k.strictExitCode} with \`--strict\``
    } |`
  );
  return ["| planted bug | its bug | breaks a | named case | the run |", "|---|---|---|---|---|", ...rows].join("\n");
}
