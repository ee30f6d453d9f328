/**
 * The configuration file (`--config setchat-conformance.json`): a run's
 * settings kept beside the pipeline that uses them, validated before
 * anything runs. It holds no secret: credentials stay in the environment or
 * in env files it names. A flag given on the command line wins over it.
 */
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { PROFILE_NAMES } from "./levels.ts";

/** The name the docs and `--help` give the file. */
export const CONFIG_FILE_NAME = "setchat-conformance.json";

const Milliseconds = z.int().min(1).max(24 * 3600 * 1000);

/** The configuration file's shape. */
export const ConformanceConfig = z.strictObject({
  /** An editor's schema, ignored by the runner. */
  $schema: z.string().optional(),
  target: z.strictObject({
    /** The base URL, or one per node of a deployment. */
    url: z.union([z.url({ protocol: /^https?$/ }), z.array(z.url({ protocol: /^https?$/ })).min(1)]).optional(),
    /** Env files of the target's settings and credentials, relative to this file. */
    envFiles: z.array(z.string().min(1)).optional(),
    /** The widget script to test in the browser. */
    widgetUrl: z.url({ protocol: /^https?$/ }).optional(),
  }).optional(),
  profile: z.enum(PROFILE_NAMES as [string, ...string[]]).optional(),
  /** Known failures, `{ "case-id": "why" }`, or the path of a file holding them, relative to this file. */
  expectedFailures: z.union([z.string().min(1), z.record(z.string().min(1), z.string())]).optional(),
  timeouts: z.strictObject({
    /** Per request. */
    requestMs: Milliseconds.optional(),
    /** The whole run: past it, the run stops with exit 2. */
    runMs: Milliseconds.optional(),
  }).optional(),
  retries: z.strictObject({
    /** How many times a request that met a network error (no answer at all) is sent again. */
    networkErrors: z.int().min(0).max(5),
  }).optional(),
});
export type ConformanceConfig = z.infer<typeof ConformanceConfig>;

/** The configuration file could not be used: the message names the file, the field and the fix. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads and validates a configuration file; paths in it become absolute, read from the file's folder. */
export async function readConfig(path: string): Promise<ConformanceConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Cannot read ${path}: it is not JSON (${(error as Error).message})`);
  }
  const parsed = ConformanceConfig.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(the file)";
    throw new ConfigError(`Cannot use ${path}: ${field}: ${issue.message} (see --help for the file's fields)`);
  }
  const config = parsed.data;
  const at = (p: string) => resolve(dirname(path), p);
  return {
    ...config,
    ...(config.target?.envFiles ? { target: { ...config.target, envFiles: config.target.envFiles.map(at) } } : {}),
    ...(typeof config.expectedFailures === "string" ? { expectedFailures: at(config.expectedFailures) } : {}),
  };
}

/** The configuration's part of `--help`. */
export const CONFIG_HELP = `  --config FILE              a ${CONFIG_FILE_NAME} holding settings of the run (a flag wins
                             over it; paths in it are read from its folder; no secrets):
                               { "target": { "url": "https://…" or ["https://node-1…", …],
                                             "envFiles": ["staging.env"], "widgetUrl": "https://…" },
                                 "profile": "s2s",
                                 "expectedFailures": "known.json" or { "case-id": "why" },
                                 "timeouts": { "requestMs": 10000, "runMs": 600000 },
                                 "retries": { "networkErrors": 2 } }`;
