/**
 * What the suite runs against: a base URL and the credentials the cases
 * need, from flags, environment or an env file; or, with no target, the
 * reference started in process on a free port with a store in memory.
 */
import * as jose from "jose";
import type { StartOptions } from "../src/server.ts";
import { ENV_NAMES, type TargetVariable } from "./variables.ts";
import type { OpenApiDocument } from "./reference_checks.ts";

export { ENV_NAMES };

/** The target's values, by the name fixtures use. */
export type TargetVars = { [K in TargetVariable]?: string | undefined };

/** A target of the suite. */
export interface Target {
  /** The first node's base URL: discovery, keys and anything sent once go there. */
  apiUrl: string;
  /** Every node's base URL, the first being `apiUrl`: the steps of a case alternate between them. */
  nodes: string[];
  vars: TargetVars;
  /** The target's private signing key, when known: enables the re-signing attacks. */
  signingKey?: { kid: string; privateKey: CryptoKey; alg: string } | undefined;
  /** Where the target's widget script is (the browser suite). */
  widgetUrl: string;
  /** The reference, started here: destructive cases are safe. */
  inProcess: boolean;
  /** The in-process server's handler: explore mode calls it without a socket. */
  handler?: ((request: Request) => Promise<Response>) | undefined;
  description: string;
  close(): Promise<void>;
}

/** How a run against the bundled reference in process names its target: reports and `--merge` read it. */
export const IN_PROCESS = "the reference, in process";

/**
 * Starts the reference in process, on a free port with a store in memory.
 * A fresh checkout has no widget bundle yet: it is built first, so that the
 * reference never fails its own suite for want of `deno task build`.
 *
 * `settings` are environment variables as an operator sets them for `deno
 * task serve` (`SETCHAT_VISITOR_TOKEN_TTL`, `SETCHAT_ISSUER`): read by the
 * same parser, so that the reference judged here is the one they configure,
 * and a setting out of range refuses to start here as it does there.
 * `asServed` starts it as `deno task serve` does, with no test clock.
 */
export async function startInProcessTarget(
  options: StartOptions = {},
  settings: Readonly<Record<string, string>> = {},
  { asServed = false }: { asServed?: boolean } = {},
): Promise<Target> {
  // The reference is loaded only when a run asks for it: a run against a named target never loads the server.
  const { devEnv, startServer } = await import("../src/server.ts");
  const { parseCommandLine } = await import("../src/config.ts");
  if (!options.assetRoot && !(await exists(new URL("../dist/widget.js", import.meta.url)))) {
    const { buildAll } = await import("../tools/build.ts");
    await buildAll();
  }
  // Cases that depend on time move it, through /api/test/clock, as against a served reference.
  const args = ["--host", "127.0.0.1", "--port", "0", "--data", ":memory:", "--log", "off"];
  if (!asServed) args.push("--test-clock");
  const { config } = parseCommandLine(args, (name) => Object.hasOwn(settings, name) ? settings[name] : undefined);
  // A body is waited for as long as a served reference waits (10 s): the case proving the bound moves the test clock
  // past it, and a slow body sent in pieces on a busy machine is never cut short.
  const server = await startServer(config, options);
  const keys = server.deps.keys;
  // The same values `serve` writes to dev.env, by the names fixtures use.
  const env = devEnv(server.url, server.demo!);
  const vars: TargetVars = {};
  for (const [name, variable] of Object.entries(ENV_NAMES) as [TargetVariable, string][]) vars[name] = env[variable];
  return {
    apiUrl: server.url,
    nodes: [server.url],
    vars,
    signingKey: { kid: keys.current.kid, privateKey: keys.current.privateKey, alg: "EdDSA" },
    widgetUrl: `${server.url}/widget.js`,
    inProcess: true,
    handler: (request) => server.handler(request),
    description: `${IN_PROCESS} (${server.url}), as no target was named`,
    close: () => server.close(),
  };
}

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

/** The target's published keys, or `null` when it publishes none (or nothing usable). */
export async function fetchJwks(apiUrl: string, timeoutMs = 5000): Promise<jose.JSONWebKeySet | null> {
  try {
    const res = await fetch(`${apiUrl}/.well-known/jwks.json`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = res.ok ? await res.json() : null;
    return body && Array.isArray(body.keys) && body.keys.length ? body as jose.JSONWebKeySet : null;
  } catch {
    return null;
  }
}

/** What a target's test clock shows. */
export interface ClockState {
  nowMs: number;
  frozen: boolean;
  /** How far it is from the target's real time, in ms, when the target says (`offsetSeconds`). */
  offsetMs?: number | undefined;
}

/** A target's test clock, moved through the endpoint its discovery document names. */
export interface TargetClock {
  apply(
    change: { reset?: boolean; freeze?: boolean | undefined; advanceSeconds?: number | undefined },
  ): Promise<ClockState>;
}

/**
 * The target's test clock, or `null` when it declares none (`testClock` in
 * `/.well-known/setchat.json`) or the run has no admin token to move it with.
 */
export async function targetClock(target: Target, timeoutMs = 5000): Promise<TargetClock | null> {
  const admin = target.vars.adminToken;
  if (!admin) return null;
  let path: unknown;
  try {
    const res = await fetch(`${target.apiUrl}/.well-known/setchat.json`, { signal: AbortSignal.timeout(timeoutMs) });
    path = res.ok ? (await res.json())?.testClock : undefined;
  } catch {
    return null;
  }
  if (typeof path !== "string" || !path.startsWith("/")) return null;
  return {
    async apply(change) {
      const res = await fetch(`${target.apiUrl}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify(change),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await res.json().catch(() => null);
      if (!res.ok || typeof body?.nowMs !== "number") {
        throw new Error(`Cannot move the target's clock: ${path} answered ${res.status}`);
      }
      const offset = body.offsetSeconds;
      return {
        nowMs: body.nowMs,
        frozen: body.frozen === true,
        ...(typeof offset === "number" && Number.isFinite(offset) ? { offsetMs: offset * 1000 } : {}),
      };
    },
  };
}

/** The target's OpenAPI document, or `null` when it serves none (or nothing usable). */
export async function fetchOpenApi(apiUrl: string, timeoutMs = 5000): Promise<OpenApiDocument | null> {
  try {
    const res = await fetch(`${apiUrl}/openapi.json`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = res.ok ? await res.json() : null;
    return body && typeof body === "object" && typeof body.paths === "object" ? body as OpenApiDocument : null;
  } catch {
    return null;
  }
}

/** Reads `KEY=value` lines; `export` prefixes, quotes and comments are allowed. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1]!] = value;
  }
  return out;
}

/** Where a remote target's settings come from. */
export interface RemoteSettings {
  /** Flags, by variable name (`target` for the URL; `targets` for every `--target` given). */
  flags: Partial<Record<keyof TargetVars | "target" | "widgetUrl" | "signingKey", string | undefined>> & {
    targets?: string[] | undefined;
  };
  env: (name: string) => string | undefined;
  /** The env files' variables, if any, a later file's winning. */
  envFile: Record<string, string>;
  /** The env files given (`--env-file`), in order: naming one names a target. */
  envFiles?: readonly string[] | undefined;
}

/** Reads the env files in order into one set of variables: a later file adds to and overrides an earlier one. */
export async function readEnvFiles(files: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of files) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new Error(`Cannot read the env file ${file}: ${(error as Error).message}`);
    }
    Object.assign(out, parseEnvFile(text));
  }
  return out;
}

/** The URL variables, the environment's or an env file's: a target is named by one of them or by `--target`. */
const URL_VARIABLES = ["SETCHAT_API_URLS", "SETCHAT_API_URL"] as const;

/** Every other variable that describes a target. */
const SETTING_VARIABLES = [...Object.values(ENV_NAMES), "SETCHAT_SIGNING_KEY_FILE", "SETCHAT_WIDGET_URL"];

/** `serverToken` as its flag, `--server-token`. */
function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Why the run cannot go on when target settings are given without a target
 * URL, or `undefined`. The reference runs in process only when nothing at all
 * names a target: an env file, a flag or a variable meant for one (empty, as
 * CI passes a variable it does not have) without a URL is a mistake to stop on,
 * never a run that judges the bundled reference and passes.
 */
export function missingTargetUrl(settings: RemoteSettings): string | undefined {
  if (nodesOf(settings).length > 0) return undefined;
  const given: string[] = [];
  for (const name of URL_VARIABLES) {
    if (settings.env(name) !== undefined) given.push(`${name} is set but empty`);
    else if (settings.envFile[name] !== undefined) given.push(`${name} is empty in the env file`);
  }
  const files = settings.envFiles ?? [];
  if (files.length) given.push(`the env file${files.length > 1 ? "s" : ""} ${files.join(", ")} ${is(files)} given`);
  const flags = Object.entries(settings.flags).filter(([k, v]) => k !== "targets" && k !== "target" && v !== undefined)
    .map(([k]) => flagOf(k));
  if (flags.length) given.push(`${flags.join(", ")} ${is(flags)} given`);
  const variables = SETTING_VARIABLES.filter((name) => settings.env(name) !== undefined);
  if (variables.length > 3) given.push(`${variables.slice(0, 3).join(", ")} and ${variables.length - 3} more are set`);
  else if (variables.length) given.push(`${variables.join(", ")} ${is(variables)} set`);
  if (given.length === 0) return undefined;
  return `Cannot run: there is no target URL, though ${given.join(" and ")}: set SETCHAT_API_URL (SETCHAT_API_URLS ` +
    "for several nodes) or give --target. Only when nothing names a target does the bundled reference run, in process";
}

function is(list: readonly unknown[]): string {
  return list.length > 1 ? "are" : "is";
}

/**
 * The remote target, or `undefined` when none is given (then the reference
 * runs in process). Flags win over the environment, which wins over the file.
 */
export async function remoteTarget(settings: RemoteSettings): Promise<Target | undefined> {
  const get = (flag: Exclude<keyof RemoteSettings["flags"], "targets">, env: string) =>
    settings.flags[flag] ?? settings.env(env) ?? settings.envFile[env];
  const nodes = nodesOf(settings);
  if (nodes.length === 0) return undefined;
  const base = nodes[0]!;
  const vars: TargetVars = {};
  for (const [name, env] of Object.entries(ENV_NAMES) as [keyof TargetVars, string][]) vars[name] = get(name, env);
  const keyFile = get("signingKey", "SETCHAT_SIGNING_KEY_FILE");
  let signingKey: Target["signingKey"];
  if (keyFile) {
    const jwk = JSON.parse(await Deno.readTextFile(keyFile)) as jose.JWK;
    if (!jwk.d || !jwk.kid) {
      throw new Error(`Cannot use the signing key ${keyFile}: it must be a private JWK with a "kid"`);
    }
    const alg = jwk.alg ?? "EdDSA";
    signingKey = { kid: jwk.kid, privateKey: (await jose.importJWK(jwk, alg)) as CryptoKey, alg };
  }
  return {
    apiUrl: base,
    nodes,
    vars,
    signingKey,
    widgetUrl: get("widgetUrl", "SETCHAT_WIDGET_URL") ?? `${base}/widget.js`,
    inProcess: false,
    description: nodes.length > 1 ? `${nodes.length} nodes (${nodes.join(", ")})` : base,
    close: () => Promise.resolve(),
  };
}

/**
 * The nodes named: every `--target`, else `SETCHAT_API_URLS` (separated by
 * commas or spaces), else `SETCHAT_API_URL`, from the environment before the
 * env file; without trailing slashes. Throws on a value that is no http(s)
 * URL, and on a node named twice (a typo that would hide the nodes' checks).
 */
export function nodesOf(settings: RemoteSettings): string[] {
  const flags = settings.flags.targets?.length
    ? settings.flags.targets
    : settings.flags.target
    ? [settings.flags.target]
    : undefined;
  const list = (value: string | undefined) => (value?.trim() ? value.split(/[\s,]+/).filter(Boolean) : undefined);
  // The environment wins over the env file, whichever of the two names each uses.
  const given = flags ?? list(settings.env("SETCHAT_API_URLS")) ?? list(settings.env("SETCHAT_API_URL")) ??
    list(settings.envFile.SETCHAT_API_URLS) ?? list(settings.envFile.SETCHAT_API_URL) ?? [];
  const nodes: string[] = [];
  for (const text of given) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error(
        `Cannot use the target "${text}": it is not a URL (give a base URL such as https://staging.example.com)`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`Cannot use the target "${text}": only http and https base URLs are supported`);
    }
    const base = text.replace(/\/+$/, "");
    if (nodes.includes(base)) {
      throw new Error(`Cannot use the target ${base} twice: name each node of the deployment once`);
    }
    nodes.push(base);
  }
  return nodes;
}
