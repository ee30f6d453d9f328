/**
 * Minting SetChat visitor tokens from an Express backend.
 *
 *   npm install express@5 && SETCHAT_API_URL=https://chat.example.com \
 *   SETCHAT_SERVER_TOKEN=setchat_s2s_… SETCHAT_SITE_API_KEY=site_… node server.mjs
 *
 * The server token stays on this server: the browser only ever receives a
 * short-lived visitor token for the user it has signed in.
 */
import express from "express";
import { page } from "../page.mjs";

const API_URL = required("SETCHAT_API_URL").replace(/\/+$/, "");
const SERVER_TOKEN = required("SETCHAT_SERVER_TOKEN");
const SITE_API_KEY = required("SETCHAT_SITE_API_KEY");

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`Cannot start: set ${name}`);
  return value;
}

// Stands in for your own accounts and sign-in (express-session, Passport, …): replace with your session lookup.
const USERS = { "user-ada": { name: "Ada Lovelace", email: "ada@example.com", plan: "pro" } };

function signedInUser(req, _res, next) {
  const id = /(?:^|;\s*)uid=([\w-]+)/.exec(req.headers.cookie ?? "")?.[1];
  req.user = id && USERS[id] ? { id, ...USERS[id] } : null;
  next();
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

const app = express();
app.use(signedInUser);

// The page half: the widget, loaded asynchronously, asks this server for a token.
app.get("/", (req, res) => {
  res.type("html").send(page(req.user, { apiUrl: API_URL, siteApiKey: SITE_API_KEY }));
});

app.get("/login", (req, res) => {
  const id = String(req.query.user ?? "");
  if (!USERS[id]) return res.status(400).send("Unknown user");
  res.cookie("uid", id, { httpOnly: true, sameSite: "lax" }).redirect(303, "/");
});

app.get("/logout", (_req, res) => res.clearCookie("uid").redirect(303, "/"));

app.post("/setchat-token", async (req, res) => {
  if (!req.user) return res.status(401).json({ token: null });
  try {
    res.set("cache-control", "no-store").json({ token: await mintVisitorToken(req.user) });
  } catch (error) {
    console.error(error.message);
    res.status(502).json({ token: null });
  }
});

const server = app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`Listening on http://127.0.0.1:${server.address().port}`);
});
