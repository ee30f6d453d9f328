/**
 * Minting SetChat visitor tokens from a Node.js backend with `node:http` only.
 *
 *   SETCHAT_API_URL=https://chat.example.com SETCHAT_SERVER_TOKEN=setchat_s2s_… \
 *   SETCHAT_SITE_API_KEY=site_… node server.mjs
 *
 * The server token stays on this server: the browser only ever receives a
 * short-lived visitor token for the user it has signed in.
 */
import { createServer } from "node:http";
import { page } from "../page.mjs";

const API_URL = required("SETCHAT_API_URL").replace(/\/+$/, "");
const SERVER_TOKEN = required("SETCHAT_SERVER_TOKEN");
const SITE_API_KEY = required("SETCHAT_SITE_API_KEY");

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`Cannot start: set ${name}`);
  return value;
}

// Stands in for your own accounts and sign-in: replace with your session lookup.
const USERS = { "user-ada": { name: "Ada Lovelace", email: "ada@example.com", plan: "pro" } };

function signedInUser(request) {
  const id = /(?:^|;\s*)uid=([\w-]+)/.exec(request.headers.cookie ?? "")?.[1];
  return id && USERS[id] ? { id, ...USERS[id] } : null;
}

/** Asks SetChat for a visitor token for `user`: server to server, with the server token. */
async function mintVisitorToken(user) {
  const res = await fetch(`${API_URL}/api/widget/visitor-token`, {
    method: "POST",
    headers: { authorization: `Bearer ${SERVER_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({
      siteApiKey: SITE_API_KEY,
      externalUserId: user.id,
      name: user.name,
      email: user.email,
      metadata: { plan: user.plan },
    }),
  });
  const body = await res.json();
  // A refusal names its cause and fix: see the troubleshooting table of docs/contract.md.
  if (!res.ok) throw new Error(`Cannot mint a visitor token: ${body.code}: ${body.detail} (${body.fix})`);
  return body.token;
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url ?? "/", "http://localhost");
  const user = signedInUser(request);
  if (request.method === "GET" && url.pathname === "/") {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(
      page(user, { apiUrl: API_URL, siteApiKey: SITE_API_KEY }),
    );
  } else if (request.method === "GET" && url.pathname === "/login") {
    const id = url.searchParams.get("user") ?? "";
    if (!USERS[id]) return response.writeHead(400).end("Unknown user");
    response.writeHead(303, { location: "/", "set-cookie": `uid=${id}; Path=/; HttpOnly; SameSite=Lax` }).end();
  } else if (request.method === "GET" && url.pathname === "/logout") {
    response.writeHead(303, { location: "/", "set-cookie": "uid=; Path=/; Max-Age=0" }).end();
  } else if (request.method === "POST" && url.pathname === "/setchat-token") {
    if (!user) return response.writeHead(401, { "content-type": "application/json" }).end('{"token":null}');
    try {
      const token = await mintVisitorToken(user);
      response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
        .end(JSON.stringify({ token }));
    } catch (error) {
      console.error(error.message);
      response.writeHead(502, { "content-type": "application/json" }).end('{"token":null}');
    }
  } else {
    response.writeHead(404).end("Not found");
  }
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`Listening on http://127.0.0.1:${server.address().port}`);
});
