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
    widgetScript: z.string().optional(),
  })
  .meta({ id: "Discovery" });
export type Discovery = z.infer<typeof Discovery>;
