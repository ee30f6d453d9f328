import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { BUG_NAMES, type BugName, BUGS, isBugName } from "./bugs.ts";
import { type IndependentServer, startIndependentServer } from "./server.ts";
import { decodeJwt, importJWK, SignJWT } from "jose";
import {
  call,
  chat,
  claims,
  deepMetadataBody,
  echoes,
  history,
  mint,
  mintOnBothNodes,
  mints,
  openSession,
  ops,
  rotate,
  unknownServerToken,
  verify,
  visitorToken,
} from "./_test_client.ts";

/** A check of the one rule a bug breaks: true when the server keeps it. */
type Probe = (server: IndependentServer) => Promise<boolean>;

async function refusesUnknownTokenWithoutEcho(server: IndependentServer): Promise<boolean> {
  const token = unknownServerToken();
  const answer = await mint(server, {}, token);
  return answer.status === 401 && !echoes(answer, token);
}

const PROBES: Record<BugName, Probe> = {
  "server-token-prefix-compare": async (server) => {
    const token = server.env.SETCHAT_SERVER_TOKEN;
    const other = token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");
    return (await mint(server, {}, other)).status === 401;
  },
  "server-token-case-folded": async (server) =>
    (await mint(server, {}, server.env.SETCHAT_SERVER_TOKEN.toUpperCase())).status === 401,
  "missing-token-trusts-site": async (server) =>
    (await call(server, "/api/widget/visitor-token", {
      json: { siteApiKey: server.env.SETCHAT_SITE_API_KEY, externalUserId: "user-1" },
    })).status === 401,
  "empty-bearer-crash": async (server) =>
    (await call(server, "/api/widget/visitor-token", { authorization: "Bearer", json: {} })).status === 401,
  "revoked-token-403": async (server) => {
    await rotate(server);
    await ops(server, "revoke-previous");
    return (await mint(server)).status === 401;
  },
  "error-quotes-token": refusesUnknownTokenWithoutEcho,
  "www-authenticate-echo": refusesUnknownTokenWithoutEcho,
  "invalid-json-500": async (server) =>
    (await call(server, "/api/widget/visitor-token", { bearer: server.env.SETCHAT_SERVER_TOKEN, raw: "{not json" }))
      .status === 400,
  "null-body-crash": async (server) =>
    (await call(server, "/api/widget/visitor-token", { bearer: server.env.SETCHAT_SERVER_TOKEN, raw: "null" }))
      .status === 400,
  "user-id-coerced": async (server) => (await mint(server, { externalUserId: 42 })).status === 400,
  "missing-field-422": async (server) => (await mint(server, { externalUserId: undefined })).status === 400,
  "metadata-recursive-walk": async (server) => {
    const raw = deepMetadataBody(server, 100_000);
    const answer = await call(server, "/api/widget/visitor-token", { bearer: server.env.SETCHAT_SERVER_TOKEN, raw });
    return answer.status < 500;
  },
  "oversized-body-500": async (server) => {
    const raw = JSON.stringify({ siteApiKey: "x", externalUserId: "y".repeat(1024 * 1024) });
    const answer = await call(server, "/api/widget/visitor-token", { bearer: server.env.SETCHAT_SERVER_TOKEN, raw });
    return answer.status < 500;
  },
  "foreign-site-minted": async (server) =>
    (await mint(server, { siteApiKey: server.env.SETCHAT_FOREIGN_SITE_API_KEY })).status === 400,
  "site-prefix-match": async (server) =>
    (await mint(server, { siteApiKey: `${server.env.SETCHAT_SITE_API_KEY}0` })).status === 400,
  "sub-case-folded": async (server) => claims(await mint(server, { externalUserId: "Ada" })).sub === "Ada",
  "sub-nfc-normalised": async (server) =>
    claims(await mint(server, { externalUserId: "Zoe\u0301" })).sub === "Zoe\u0301",
  "sub-trimmed": async (server) => claims(await mint(server, { externalUserId: " ada " })).sub === " ada ",
  "aud-is-tenant": async (server) => claims(await mint(server)).aud === server.env.SETCHAT_SITE_API_KEY,
  "iat-in-milliseconds": async (server) => Math.abs((claims(await mint(server)).iat ?? 0) - Date.now() / 1000) < 5,
  "exp-off-by-one": async (server) => {
    const answer = await mint(server);
    const { iat, exp } = claims(answer);
    return exp !== undefined && iat !== undefined && exp - iat === answer.body.expiresIn;
  },
  "lifetime-one-hour": async (server) => {
    const { iat, exp } = claims(await mint(server));
    return exp !== undefined && iat !== undefined && exp - iat >= 300 && exp - iat <= 900;
  },
  "expires-in-milliseconds": async (server) => {
    const answer = await mint(server);
    const { iat, exp } = claims(answer);
    return exp !== undefined && iat !== undefined && answer.body.expiresIn === exp - iat;
  },
  "expires-in-snake-missing": async (server) => {
    const answer = await mint(server);
    return typeof answer.body.expires_in === "number" && answer.body.expires_in === answer.body.expiresIn;
  },
  "metadata-stringified": async (server) =>
    isDeepStrictEqual(claims(await mint(server, { metadata: { plan: "pro", seats: 3 } })).metadata, {
      plan: "pro",
      seats: 3,
    }),
  "tenant-claim-missing": async (server) => claims(await mint(server)).org === server.env.SETCHAT_TENANT_ID,
  "node-local-signing-key": async (server) => {
    // Two mints in a row: one from each node.
    const tokens = [String((await mint(server)).body.token), String((await mint(server)).body.token)];
    try {
      for (const token of tokens) await verify(server, token);
      return true;
    } catch {
      return false;
    }
  },
  "jwks-private-key": async (server) => {
    const answer = await call(server, "/.well-known/jwks.json", { method: "GET" });
    const keys = answer.body.keys as Record<string, unknown>[];
    return keys.length > 0 && keys.every((key) => !("d" in key));
  },
  "rotate-revokes-previous": async (server) => {
    await rotate(server);
    return await mints(server, server.env.SETCHAT_SERVER_TOKEN);
  },
  "rotate-replaces-pending": async (server) => {
    const second = await rotate(server);
    await rotate(server);
    return await mints(server, second);
  },
  "rotate-replays-token": async (server) => (await rotate(server)) !== (await rotate(server)),
  "revoke-previous-revokes-current": async (server) => {
    const current = await rotate(server);
    await ops(server, "revoke-previous");
    return await mints(server, current);
  },
  "revoke-previous-only-last": async (server) => {
    await rotate(server);
    await rotate(server);
    await ops(server, "revoke-previous");
    return (await mint(server)).status === 401;
  },
  "revoke-previous-toggles": async (server) => {
    await rotate(server);
    await ops(server, "revoke-previous");
    await ops(server, "revoke-previous");
    return (await mint(server)).status === 401;
  },
  "revoke-previous-not-idempotent": async (server) => {
    await rotate(server);
    const first = await ops(server, "revoke-previous");
    const second = await ops(server, "revoke-previous");
    return first.status === 200 && second.status === 200;
  },
  "revocation-lag": async (server) => {
    await rotate(server);
    await ops(server, "revoke-previous");
    return (await mint(server)).status === 401;
  },
  "stale-node-cache": async (server) => {
    const old = server.env.SETCHAT_SERVER_TOKEN;
    await rotate(server);
    await mintOnBothNodes(server, old);
    await ops(server, "revoke-previous");
    return isDeepStrictEqual(await mintOnBothNodes(server, old), [401, 401]);
  },
  "revoke-echoes-current": async (server) => {
    const current = await rotate(server);
    return !echoes(await ops(server, "revoke-previous"), current);
  },
  "admin-any-tenant": async (server) => {
    const foreign = await ops(server, "rotate", server.env.SETCHAT_FOREIGN_TENANT_ID, server.env.SETCHAT_ADMIN_TOKEN);
    return foreign.status >= 400 && foreign.status < 500;
  },
  "revoke-previous-all-tenants": async (server) => {
    const { SETCHAT_FOREIGN_TENANT_ID: foreignId, SETCHAT_FOREIGN_ADMIN_TOKEN: foreignAdmin } = server.env;
    await ops(server, "rotate", foreignId, foreignAdmin);
    await ops(server, "revoke-previous");
    const answer = await mint(
      server,
      { siteApiKey: server.env.SETCHAT_FOREIGN_SITE_API_KEY },
      server.env.SETCHAT_FOREIGN_SERVER_TOKEN,
    );
    return answer.status === 200;
  },
  "path-id-decode-crash": async (server) =>
    (await call(server, "/api/tenants/%E0%A4%A/widget-identity/s2s-token/rotate", {
      bearer: server.env.SETCHAT_ADMIN_TOKEN,
    })).status < 500,
  "empty-user-id-minted": async (server) => (await mint(server, { externalUserId: "" })).status === 400,
  "audience-unchecked": async (server) => {
    const token = await visitorToken(server, { siteApiKey: server.env.SETCHAT_OTHER_SITE_API_KEY });
    return (await openSession(server, { visitorToken: token })).status === 401;
  },
  "tenant-claim-unchecked": async (server) => {
    const genuine = decodeJwt(await visitorToken(server));
    const key = await importJWK(server.signingJwk, "ES256");
    const forged = await new SignJWT({ ...genuine, org: "org_0000000000000000" })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: String(server.signingJwk.kid) })
      .sign(key);
    return (await openSession(server, { visitorToken: forged })).status === 401;
  },
  "revoked-minter-opens-sessions": async (server) => {
    const early = await visitorToken(server);
    await rotate(server);
    await ops(server, "revoke-previous");
    return (await openSession(server, { visitorToken: early })).status === 401;
  },
  "visibility-merges-by-email": async (server) => {
    const email = "u@example.com";
    await chat(server, { visitorToken: await visitorToken(server, { externalUserId: "u", email }) });
    const typed = await openSession(server, { user: { source: "prechat_form", name: "U", email } });
    return (await history(server, String(typed.body.sessionToken))).length === 0;
  },
  "device-ignored-for-anonymous": async (server) => {
    await chat(server);
    return (await history(server, String((await openSession(server)).body.sessionToken))).length === 0;
  },
  "site-ignored-for-verified": async (server) => {
    await chat(server, { visitorToken: await visitorToken(server, { externalUserId: "u" }) });
    const site = server.env.SETCHAT_OTHER_SITE_API_KEY;
    const other = await openSession(server, {
      siteApiKey: site,
      visitorToken: await visitorToken(server, { externalUserId: "u", siteApiKey: site }),
    });
    return (await history(server, String(other.body.sessionToken))).length === 0;
  },
  "existence-leak-403": async (server) => {
    const { conversation } = await chat(server);
    const other = String((await openSession(server)).body.sessionToken);
    return (await call(server, `/api/widget/conversations/${conversation}`, { method: "GET", bearer: other }))
      .status === 404;
  },
  "claimed-user-id-echoed": async (server) => {
    const opened = await openSession(server, { user: { externalUserId: "u" } });
    return (opened.body.identity as Record<string, unknown>).externalUserId === null;
  },
  "history-oldest-first": async (server) => {
    const first = await chat(server);
    const opened = await call(server, "/api/widget/conversations", {
      bearer: first.session,
      json: { kind: "chat", text: "Again" },
    });
    const newest = (opened.body.conversation as { id: string }).id;
    return isDeepStrictEqual(await history(server, first.session), [newest, first.conversation]);
  },
  "device-adopted-across-tenants": async (server) => {
    const foreign = await openSession(server, { siteApiKey: server.env.SETCHAT_FOREIGN_SITE_API_KEY });
    const here = await openSession(server, { deviceCredential: foreign.body.deviceCredential });
    return here.body.deviceIssued === true && here.body.deviceCredential !== foreign.body.deviceCredential;
  },
  "workspace-ignored": async (server) => {
    const { device } = await chat(server, { workspace: { externalId: "w1" } });
    const w2 = await openSession(server, { deviceCredential: device, workspace: { externalId: "w2" } });
    return (await history(server, String(w2.body.sessionToken))).length === 0;
  },
  "workspace-binding-ignored": async (server) => {
    const token = await visitorToken(server, { workspace: { externalId: "w1" } });
    return (await openSession(server, { visitorToken: token, workspace: { externalId: "w2" } })).status === 403;
  },
  "logout-keeps-device": async (server) => {
    const opened = await openSession(server);
    await call(server, "/api/widget/session", { method: "DELETE", bearer: String(opened.body.sessionToken) });
    return (await openSession(server, { deviceCredential: opened.body.deviceCredential })).body.deviceIssued === true;
  },
  "logout-ends-one-tab": async (server) => {
    const first = await openSession(server);
    const second = await openSession(server, { deviceCredential: first.body.deviceCredential });
    await call(server, "/api/widget/session", { method: "DELETE", bearer: String(first.body.sessionToken) });
    return (await call(server, "/api/widget/session", { method: "GET", bearer: String(second.body.sessionToken) }))
      .status === 401;
  },
  "client-data-overwrites-verified": async (server) => {
    const opened = await openSession(server, {
      visitorToken: await visitorToken(server, { metadata: { plan: "pro" } }),
      user: { customData: { plan: "enterprise" } },
    });
    const visitor = await call(
      server,
      `/api/tenants/${server.env.SETCHAT_TENANT_ID}/visitors/${opened.body.visitorId}`,
      {
        method: "GET",
        bearer: server.env.SETCHAT_ADMIN_TOKEN,
      },
    );
    return isDeepStrictEqual(visitor.body.custom_data, { plan: "pro" });
  },
  "cursor-skips-one": async (server) => {
    const { session, conversation, message } = await chat(server);
    for (const text of ["two", "three"]) {
      await call(server, `/api/widget/conversations/${conversation}/messages`, { bearer: session, json: { text } });
    }
    const polled = await call(server, `/api/widget/conversations/${conversation}/messages?after=${message}`, {
      method: "GET",
      bearer: session,
    });
    return (polled.body.messages as unknown[]).length === 2;
  },
  "cursor-other-conversation": async (server) => {
    const first = await chat(server);
    const second = await chat(server, { deviceCredential: first.device });
    const path = `/api/widget/conversations/${second.conversation}/messages?after=${first.message}`;
    return (await call(server, path, { method: "GET", bearer: second.session })).status === 400;
  },
  "widget-null-500": async (server) => (await openSession(server, { user: { name: null } })).status === 400,
  "agent-reads-any-tenant": async (server) => {
    const foreign = await chat(server, { siteApiKey: server.env.SETCHAT_FOREIGN_SITE_API_KEY });
    const path = `/api/tenants/${server.env.SETCHAT_TENANT_ID}/conversations/${foreign.conversation}`;
    return (await call(server, path, { method: "GET", bearer: server.env.SETCHAT_ADMIN_TOKEN })).status === 404;
  },
  "listing-shows-plaintext": async (server) => {
    const current = await rotate(server);
    const listing = await call(server, `/api/tenants/${server.env.SETCHAT_TENANT_ID}/server-tokens`, {
      method: "GET",
      bearer: server.env.SETCHAT_ADMIN_TOKEN,
    });
    return listing.status === 200 && !echoes(listing, current) && !echoes(listing, server.env.SETCHAT_SERVER_TOKEN);
  },
  "ops-error-quotes-admin-token": async (server) => {
    const token = `ak_${"fedcba9876543210".repeat(4)}`;
    const answer = await ops(server, "rotate", server.env.SETCHAT_TENANT_ID, token);
    return answer.status === 401 && !echoes(answer, token);
  },
};

Deno.test("BUGS catalogues at least 24 kebab-case switches, each with a one-line description", () => {
  assert.ok(BUG_NAMES.length >= 24, `only ${BUG_NAMES.length} bugs`);
  for (const name of BUG_NAMES) {
    assert.match(name, /^[a-z0-9]+(?:-[a-z0-9]+)+$/);
    assert.ok(isBugName(name));
    assert.ok(BUGS[name].length > 20 && !BUGS[name].includes("\n"), name);
  }
  assert.equal(isBugName("toString"), false);
  assert.equal(isBugName("no-such-bug"), false);
});

Deno.test("BUGS: the correct build keeps every rule the probes check", async (t) => {
  for (const name of BUG_NAMES) {
    await t.step(name, async () => {
      await using server = await startIndependentServer();
      assert.equal(await PROBES[name](server), true);
    });
  }
});

Deno.test("BUGS: each planted bug breaks the rule its probe checks", async (t) => {
  for (const name of BUG_NAMES) {
    await t.step(name, async () => {
      await using server = await startIndependentServer({ bugs: [name] });
      assert.equal(await PROBES[name](server), false, BUGS[name]);
    });
  }
});
