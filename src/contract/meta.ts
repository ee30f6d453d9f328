import { z } from "zod";

/** The contract version this implementation follows. */
export const CONTRACT_VERSION = "1.0";

/** Answer of `GET /healthz`. */
export const Health = z.object({ status: z.literal("ok") }).meta({ id: "Health" });

/** Answer of `GET /api/version`. */
export const Version = z
  .object({
    implementation: z.string(),
    version: z.string(),
    contractVersion: z.string(),
    issuer: z.string(),
  })
  .meta({ id: "Version" });
export type Version = z.infer<typeof Version>;

/** Answer of `GET /.well-known/jwks.json`. */
export const Jwks = z
  .object({
    keys: z.array(
      z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.string() }),
    ),
  })
  .meta({ id: "Jwks" });
export type Jwks = z.infer<typeof Jwks>;

/**
 * The parts of the contract an implementation may offer. `s2s` (minting,
 * rotation, revocation, the JWKS) is what the vendor docs define; the widget
 * API, the agent API and the widget script are this contract's additions,
 * which an implementation opts into.
 */
export const SURFACES = ["s2s", "widget", "agent", "browser"] as const;
export type Surface = (typeof SURFACES)[number];

/** Answer of `GET /.well-known/setchat.json`: what this implementation offers, for conformance runners. */
export const Discovery = z
  .object({
    implementation: z.string().min(1),
    contractVersion: z.string().min(1),
    surfaces: z.array(z.enum(SURFACES)).min(1).meta({
      description: "The parts of the contract this implementation offers; `s2s` at least.",
    }),
    referenceChoices: z.boolean().meta({
      description: "Whether it also makes the reference's own choices (error codes, algorithm, limits, policies), " +
        "so that a conformance run may hold them against it.",
    }),
    jwksUri: z.string().optional(),
    widgetScript: z.string().optional().meta({
      description: "Where the widget script is (a path of this server, or a URL): the implementation serves one.",
    }),
    rotateTokenField: z.string().min(1).max(200).optional().meta({
      description: "Where the rotate answer holds the new server token, as a path of its JSON (`token`, " +
        "`data.secret`). Without it, a client tries the answer's strings until one authenticates.",
    }),
    tenantClaim: z.string().min(1).max(100).optional().meta({
      description: "The visitor token claim that names the tenant, which the verifier holds against the site's " +
        "tenant. Without it, no client can write a token claiming another tenant.",
    }),
    tokenListing: z.string().startsWith("/").max(300).optional().meta({
      description: "The path of the tenant's server token listing, `{tenantId}` standing for the tenant, when the " +
        "implementation has one (the contract does not require it).",
    }),
    deviceScope: z.enum(["site", "tenant"]).optional().meta({
      description: "Where a device credential names its device: on the site that issued it, or on every site of " +
        "its tenant. Either way a session sees the conversations of its own site only.",
    }),
    credentialPrefixes: z.array(z.string().regex(/^[A-Za-z][\w-]{1,30}[_-]$/)).max(16).optional().meta({
      description: "How the credentials it issues begin (`sk_`, say), so that a conformance runner can keep any " +
        "value of that shape out of its reports.",
    }),
    testClock: z.string().startsWith("/").max(300).optional().meta({
      description: "Where a test moves this server's clock, when it was started with one (the reference's " +
        "`--test-clock`); absent otherwise.",
    }),
  })
  .meta({ id: "Discovery" });
export type Discovery = z.infer<typeof Discovery>;

/**
 * Body of `POST /api/test/clock`, on a reference started with `--test-clock`:
 * `reset` returns to the real time, `freeze` stops the clock (or lets it run
 * again), `advanceSeconds` moves it; in that order.
 */
export const TestClockChange = z
  .strictObject({
    reset: z.boolean().optional(),
    freeze: z.boolean().optional(),
    advanceSeconds: z.number().int().min(-86_400).max(7 * 86_400).optional(),
  })
  .meta({ id: "TestClockChange" });
export type TestClockChange = z.infer<typeof TestClockChange>;

/** What the test clock shows. */
export const TestClockState = z
  .object({
    now: z.string(),
    nowMs: z.number().int(),
    offsetSeconds: z.number(),
    frozen: z.boolean(),
  })
  .meta({ id: "TestClockState" });
export type TestClockState = z.infer<typeof TestClockState>;
