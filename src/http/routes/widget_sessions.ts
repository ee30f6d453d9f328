import {
  type ClientUser,
  type CreateSessionRequest,
  CreateSessionRequest as CreateSessionSchema,
  Session,
  SessionCreated,
} from "../../contract/widget.ts";
import type { VisitorTokenClaims } from "../../contract/s2s.ts";
import { AppError } from "../../domain/app_error.ts";
import { identityMethod, sessionWorkspace } from "../../domain/identity.ts";
import { CLOCK_SKEW_SECONDS, NON_VERIFIED_SESSION_SECONDS } from "../../domain/lifetime.ts";
import * as visibilityRules from "../../domain/visibility.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { NEW_VISITOR, withClientUser, withVerifiedProfile } from "../../domain/visitor.ts";
import { newId } from "../../identity/encoding.ts";
import { generateSecret, parseSecret } from "../../identity/secret_token.ts";
import { verifyVisitorToken } from "../../identity/visitor_token.ts";
import type { DeviceRecord, SiteRecord } from "../../store/store.ts";
import type { AppDeps, AppRoute, Principals } from "../context.ts";
import { json } from "../problem.ts";
import { defineRoute } from "../router.ts";
import { BODY_ERRORS, SESSION_ERRORS } from "./_errors.ts";
import { sessionView } from "../views.ts";

/**
 * The widget's sessions: opened anonymously, with client user data or with a
 * visitor token; read; and ended by a logout that retires the device.
 */
export function widgetSessionRoutes(deps: AppDeps): AppRoute[] {
  const tag = "Widget";
  const { store } = deps;
  const { historyOf } = deps.visibility ?? visibilityRules;
  const verify = deps.verifyVisitorToken ?? ((token, options) => verifyVisitorToken(deps.keys, token, options));

  /**
   * A visitor token opens sessions only while the server token that minted
   * it is active: revoke-previous ends what a leaked server token minted at
   * once, not when those visitor tokens expire. A read, from the store's cache.
   */
  async function checkMinter(claims: VisitorTokenClaims, site: SiteRecord): Promise<void> {
    const minter = await store.findS2sToken(site.tenantId, claims.s2sTokenId);
    if (!minter) {
      throw new AppError(
        "visitor_token_invalid",
        `Cannot verify visitor token: "s2sTokenId" names no server token of the site's tenant`,
      );
    }
    if (minter.status !== "active") {
      throw new AppError(
        "visitor_token_revoked",
        `Cannot verify visitor token: the server token that minted it (${minter.id}) was revoked`,
      );
    }
  }

  async function device(site: SiteRecord, credential: string | undefined, now: number) {
    const parsed = credential === undefined ? undefined : parseSecret(credential);
    if (credential !== undefined && parsed?.kind === "dev") {
      const known = await store.findDevice(parsed.hash);
      if (known && known.siteId === site.id && known.retiredAt === null) {
        return { record: known, credential, isNew: false };
      }
    }
    // First visit, or a credential that is unknown, retired or of another site:
    // the server issues a new one, never one the browser chose.
    const fresh = generateSecret("dev");
    const record: DeviceRecord = {
      id: newId("dev", now),
      siteId: site.id,
      hash: fresh.hash,
      createdAt: now,
      retiredAt: null,
    };
    return { record, credential: fresh.plaintext, isNew: true };
  }

  async function openSession(body: CreateSessionRequest) {
    const now = deps.now();
    const site = await store.findSiteByApiKey(body.siteApiKey);
    if (!site) {
      throw new AppError("site_not_found", `Cannot start a session: no site has the API key "${body.siteApiKey}"`);
    }
    const claims = body.visitorToken === undefined ? null : await verify(body.visitorToken, {
      issuer: deps.config.issuer,
      siteApiKey: site.apiKey,
      tenantId: site.tenantId,
      nowMs: now,
    });
    if (claims) await checkMinter(claims, site);
    const workspace = sessionWorkspace(body.workspace?.externalId ?? null, claims?.workspace);
    const dev = await device(site, body.deviceCredential, now);
    const viewer: Viewer = {
      siteId: site.id,
      workspace,
      verified: claims !== null,
      externalUserId: claims?.sub ?? null,
      deviceId: dev.record.id,
    };
    const user: ClientUser | undefined = body.user;
    const secret = generateSecret("wss");
    const expiresAt = claims
      ? Math.max(claims.exp * 1000, now + CLOCK_SKEW_SECONDS * 1000)
      : now + NON_VERIFIED_SESSION_SECONDS * 1000;
    const { session } = await store.openSession({
      device: dev.record,
      deviceIsNew: dev.isNew,
      history: historyOf(viewer),
      updateVisitor(current, id) {
        let data = current ?? { ...NEW_VISITOR };
        if (claims) {
          data = withVerifiedProfile(data, {
            externalUserId: claims.sub,
            email: claims.email ?? null,
            name: claims.name ?? null,
            provider: claims.provider ?? null,
            customData: claims.metadata ?? {},
          });
        }
        if (user) data = withClientUser(data, user);
        return {
          id,
          tenantId: site.tenantId,
          siteId: site.id,
          siteApiKey: site.apiKey,
          workspace,
          createdAt: current?.createdAt ?? now,
          updatedAt: now,
          verified: data.verified,
          nonVerified: data.nonVerified,
          nonVerifiedCustomData: data.nonVerifiedCustomData,
        };
      },
      session: {
        id: newId("ses", now),
        hash: secret.hash,
        tenantId: site.tenantId,
        siteId: site.id,
        siteApiKey: site.apiKey,
        deviceId: dev.record.id,
        deviceHash: dev.record.hash,
        workspace,
        method: identityMethod(body),
        verified: viewer.verified,
        externalUserId: viewer.externalUserId,
        displayName: claims ? claims.name ?? null : user?.name ?? null,
        displayEmail: claims ? claims.email ?? null : user?.email ?? null,
        createdAt: now,
        expiresAt,
      },
    });
    return {
      ...sessionView(session, now),
      sessionToken: secret.plaintext,
      deviceCredential: dev.credential,
      deviceIssued: dev.isNew,
    };
  }

  return [
    defineRoute<Principals, "none", CreateSessionRequest>({
      method: "POST",
      path: "/api/widget/sessions",
      operationId: "createWidgetSession",
      summary: "Start a widget session: anonymous, with client user data, or verified by a visitor token",
      description: "Send the device credential the server issued earlier, if any; keep the one in the answer. " +
        "Only `visitorToken` makes a session verified; `user` is stored as non-verified data whatever it says.",
      tag,
      security: "none",
      cors: true,
      body: CreateSessionSchema,
      responses: { 201: { description: "The session, its token and the device credential", schema: SessionCreated } },
      errors: [
        ...BODY_ERRORS,
        "site_not_found",
        "visitor_token_invalid",
        "visitor_token_expired",
        "visitor_token_not_yet_valid",
        "visitor_token_revoked",
        "workspace_mismatch",
      ],
      async handle({ body }) {
        return json(201, await openSession(body));
      },
    }),
    defineRoute<Principals, "session">({
      method: "GET",
      path: "/api/widget/session",
      operationId: "getWidgetSession",
      summary: "This session: who it is and until when",
      tag,
      security: "session",
      cors: true,
      responses: { 200: { description: "The session", schema: Session } },
      errors: SESSION_ERRORS,
      handle: ({ principal }) => json(200, sessionView(principal, deps.now())),
    }),
    defineRoute<Principals, "endingSession">({
      method: "DELETE",
      path: "/api/widget/session",
      operationId: "endWidgetSession",
      summary: "Log out: end the session and retire its device credential",
      description: "After it, neither the session token nor the device credential works again, nor any other " +
        "session of the device (another tab): the next person on the same browser starts with nothing of this " +
        "visitor's. An expired session may log out too.",
      tag,
      security: "endingSession",
      cors: true,
      responses: { 204: { description: "Ended" } },
      errors: SESSION_ERRORS,
      async handle({ principal }) {
        await store.endSession(principal, deps.now());
        return new Response(null, { status: 204 });
      },
    }),
  ];
}
