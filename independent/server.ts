/**
 * A second, independent implementation of the SetChat contract: the server-to-server surface (mint a visitor token,
 * rotate and revoke-previous server tokens, publish the JWKS), the widget API and the agent API, written from the
 * published contract (docs/contract.md and /openapi.json) alone and importing nothing from the reference server or
 * the conformance suite. It exists to show that the conformance suite judges implementations it was not built with:
 * the correct build must pass, and each planted bug (`bugs.ts`) must be caught.
 *
 * Its own choices, deliberately unlike the reference, and declared in its discovery document where a client needs
 * them: ES256 signatures with `typ: "JWT"` and a `kid`; the tenant in an `org` claim; errors as plain JSON
 * `{ error, message }`; 400 for an unknown or foreign site; credentials `sk_`, `ak_`, `pk_`, `org_`, `ws_` and `dv_`
 * followed by random hex, stored as SHA-256 digests; a rotate answer `{ credential: { id, secret, createdAt } }` and a
 * revoke-previous answer `{ revoked }`; several rotations allowed before revoke-previous; a token listing of its own
 * at `/api/tenants/{id}/server-tokens`; a 1 MiB body limit (413), JSON only (415), unknown fields refused by name; a
 * 600 s lifetime; device credentials that name one device on every site of the tenant; random message ids; a history
 * ordered by last activity; agent pages of 20 behind an opaque cursor; unverified sessions of 12 hours. It runs as
 * two nodes behind a round-robin dispatcher in one process, sharing one in-memory store, each node caching server
 * token lookups and the store clearing every node's cache on rotation and revocation; each node also listens on a
 * port of its own, so that a client can name the nodes one by one.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import { type BugName, isBugName } from "./bugs.ts";
import { ChatStore } from "./chat_store.ts";
import { ServerNode, type SigningKey } from "./node.ts";
import { MemoryStore } from "./store.ts";

/** What this implementation declares at /.well-known/setchat.json. */
export const DISCOVERY = {
  implementation: "independent-setchat",
  contractVersion: "1.0",
  surfaces: ["s2s", "widget", "agent"],
  referenceChoices: false,
  jwksUri: "/.well-known/jwks.json",
  rotateTokenField: "credential.secret",
  tenantClaim: "org",
  tokenListing: "/api/tenants/{tenantId}/server-tokens",
  deviceScope: "tenant",
} as const;

export { BUG_NAMES, type BugName, BUGS } from "./bugs.ts";

/** How to start the server. */
export interface StartOptions {
  /** Defaults to 127.0.0.1. */
  hostname?: string;
  /** Defaults to 0, a free port. */
  port?: number;
  /** Planted bugs to switch on; none by default. */
  bugs?: readonly BugName[];
  /** Whether to serve the discovery document (default true); without it, a client knows none of its choices. */
  discovery?: boolean;
}

/** The values a client needs, under the names of the vendor docs and the conformance runner. */
export interface IndependentEnv {
  SETCHAT_API_URL: string;
  SETCHAT_SERVER_TOKEN: string;
  SETCHAT_SITE_API_KEY: string;
  SETCHAT_TENANT_ID: string;
  SETCHAT_ADMIN_TOKEN: string;
  SETCHAT_OTHER_SITE_API_KEY: string;
  SETCHAT_FOREIGN_SITE_API_KEY: string;
  SETCHAT_FOREIGN_TENANT_ID: string;
  SETCHAT_FOREIGN_ADMIN_TOKEN: string;
  SETCHAT_FOREIGN_SERVER_TOKEN: string;
  SETCHAT_FOREIGN_OTHER_SITE_API_KEY: string;
}

/** A running server. */
export interface IndependentServer {
  /** The round-robin dispatcher, as a load balancer. */
  readonly url: string;
  /** Each node on a port of its own, as a deployment whose instances can be named one by one. */
  readonly nodeUrls: readonly string[];
  readonly env: IndependentEnv;
  /** The private signing key as a JWK, for a client that re-signs tokens with one fault (`--signing-key`). */
  readonly signingJwk: JWK;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The number of nodes behind the dispatcher. */
export const NODE_COUNT = 2;

/** Starts two nodes behind a round-robin dispatcher, with two freshly seeded tenants. */
export async function startIndependentServer(options: StartOptions = {}): Promise<IndependentServer> {
  for (const bug of options.bugs ?? []) {
    if (!isBugName(bug)) throw new TypeError(`Cannot start server: unknown bug "${bug}"`);
  }
  const bugs: ReadonlySet<BugName> = new Set(options.bugs ?? []);
  const store = new MemoryStore(bugs);
  const chats = new ChatStore();
  const first = store.addTenant(2);
  const second = store.addTenant(2);

  const shared = await createSigningKey(bugs.has("jwks-private-key"));
  const keys = [shared.key];
  for (let index = 1; index < NODE_COUNT; index += 1) {
    keys.push(bugs.has("node-local-signing-key") ? (await createSigningKey(false)).key : shared.key);
  }
  const jwks = { keys: shared.published };
  const nodes = keys.map((signingKey, index) =>
    new ServerNode({
      name: `node-${index + 1}`,
      store,
      chats,
      signingKey,
      jwks,
      bugs,
      discovery: options.discovery === false ? null : DISCOVERY,
    })
  );

  let turn = 0;
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve({ hostname, port: options.port ?? 0, onListen() {} }, (request) => {
    const node = nodes[turn % nodes.length] as ServerNode;
    turn += 1;
    return node.handle(request);
  });
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const url = `http://${host}:${server.addr.port}`;
  const direct = nodes.map((node) => Deno.serve({ hostname, port: 0, onListen() {} }, (r) => node.handle(r)));
  const nodeUrls = direct.map((d) => `http://${host}:${d.addr.port}`);
  const env: IndependentEnv = {
    SETCHAT_API_URL: url,
    SETCHAT_SERVER_TOKEN: first.serverToken,
    SETCHAT_SITE_API_KEY: first.siteKeys[0] ?? "",
    SETCHAT_TENANT_ID: first.tenantId,
    SETCHAT_ADMIN_TOKEN: first.adminToken,
    SETCHAT_OTHER_SITE_API_KEY: first.siteKeys[1] ?? "",
    SETCHAT_FOREIGN_SITE_API_KEY: second.siteKeys[0] ?? "",
    SETCHAT_FOREIGN_TENANT_ID: second.tenantId,
    SETCHAT_FOREIGN_ADMIN_TOKEN: second.adminToken,
    SETCHAT_FOREIGN_SERVER_TOKEN: second.serverToken,
    SETCHAT_FOREIGN_OTHER_SITE_API_KEY: second.siteKeys[1] ?? "",
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    closing ??= Promise.all([server, ...direct].map((s) => s.shutdown())).then(() => {});
  return { url, nodeUrls, env, signingJwk: shared.privateJwk, close, [Symbol.asyncDispose]: close };
}

/** A fresh ES256 key pair, its kid (the JWK thumbprint), the JWKs to publish and the private JWK. */
async function createSigningKey(
  publishPrivate: boolean,
): Promise<{ key: SigningKey; published: JWK[]; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const published: JWK[] = [{ ...publicJwk, kid, alg: "ES256", use: "sig" }];
  const privateJwk = { ...await exportJWK(privateKey), kid, alg: "ES256" };
  if (publishPrivate) published.push({ ...privateJwk, kid: `${kid}-pair` });
  return { key: { kid, privateKey }, published, privateJwk };
}
