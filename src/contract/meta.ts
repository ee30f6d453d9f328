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
