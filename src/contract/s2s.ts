import { z } from "zod";
import { CustomData, JsonValue, Workspace } from "./common.ts";

/** Body of `POST /api/widget/visitor-token`, sent by the customer's backend. */
export const MintVisitorTokenRequest = z
  .strictObject({
    siteApiKey: z.string().min(1).max(128),
    externalUserId: z.string().min(1).max(255),
    email: z.email().max(254).optional(),
    name: z.string().min(1).max(200).optional(),
    provider: z.string().min(1).max(64).optional(),
    metadata: CustomData.optional(),
    workspace: Workspace.optional(),
  })
  .meta({ id: "MintVisitorTokenRequest" });
export type MintVisitorTokenRequest = z.infer<typeof MintVisitorTokenRequest>;

/** Answer of `POST /api/widget/visitor-token`. */
export const MintVisitorTokenResponse = z
  .object({
    token: z.string(),
    expiresIn: z.number().int(),
    expires_in: z.number().int(),
    expiresInLabel: z.string(),
  })
  .meta({ id: "MintVisitorTokenResponse" });
export type MintVisitorTokenResponse = z.infer<typeof MintVisitorTokenResponse>;

/** The claims of a visitor token, as the reference signs them. */
export const VisitorTokenClaims = z
  .object({
    iss: z.string(),
    sub: z.string(),
    aud: z.string(),
    tenant: z.string(),
    /** The public id of the server-to-server token that minted it, as the token listing shows it. */
    s2sTokenId: z.string(),
    iat: z.number().int(),
    exp: z.number().int(),
    jti: z.string(),
    email: z.string().optional(),
    name: z.string().optional(),
    provider: z.string().optional(),
    metadata: z.record(z.string(), JsonValue).optional(),
    workspace: z.string().optional(),
  })
  .meta({ id: "VisitorTokenClaims" });
export type VisitorTokenClaims = z.infer<typeof VisitorTokenClaims>;

/** A server-to-server token as listed: never its plaintext. */
export const S2sTokenSummary = z
  .object({
    id: z.string(),
    displayPrefix: z.string(),
    status: z.enum(["active", "revoked"]),
    current: z.boolean(),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "S2sTokenSummary" });
export type S2sTokenSummary = z.infer<typeof S2sTokenSummary>;

/** Answer of the token listing. */
export const S2sTokenList = z
  .object({ tokens: z.array(S2sTokenSummary) })
  .meta({ id: "S2sTokenList" });

/** Answer of a rotation: the new token's plaintext, shown this once. */
export const RotateResponse = z
  .object({ token: z.string(), tokenInfo: S2sTokenSummary })
  .meta({ id: "RotateResponse" });
export type RotateResponse = z.infer<typeof RotateResponse>;

/** Answer of revoke-previous. */
export const RevokePreviousResponse = z
  .object({ revoked: z.array(S2sTokenSummary), current: S2sTokenSummary })
  .meta({ id: "RevokePreviousResponse" });
