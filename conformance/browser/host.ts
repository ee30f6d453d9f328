/**
 * The host page: a stand-in for a customer's product, served on a free
 * loopback port. It loads the target's widget script and, for verified
 * visitors, gets their token from its own backend, which mints it through the
 * target's server-to-server endpoint. The browser never sees a server token.
 */
import type { Target } from "../target.ts";

/** How a page load sets the widget up. */
export interface HostOptions {
  /** How the page identifies the visitor. `verified-once` passes one token and no callback. */
  mode: "anonymous" | "prechat" | "client" | "verified" | "verified-once";
  /** The signed-in user, for `verified` modes: their token is minted server side. */
  user?: { id: string; email?: string; name?: string; metadata?: Record<string, unknown> };
  /** What the page passes as `user` (client-side data, never trusted). */
  clientUser?: { name?: string; email?: string; externalUserId?: string; customData?: Record<string, unknown> };
  workspace?: string;
  pollIntervalMs?: number;
}

/** A running host page. */
export interface HostPage extends AsyncDisposable {
  url(options: HostOptions): string;
  close(): Promise<void>;
}

function page(target: Target, widgetSrc: string): string {
  const settings = JSON.stringify({ siteApiKey: target.vars.siteApiKey, apiUrl: target.apiUrl });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host page</title><link rel="icon" href="data:,"></head>
<body>
<main><h1>A customer's product</h1><p>This page embeds the SetChat widget as a customer would.</p></main>
<script src="${widgetSrc}"></script>
<script>
(async () => {
  const settings = ${settings};
  const opts = JSON.parse(new URLSearchParams(location.search).get("c") || "{}");
  window.hostEvents = [];
  window.tokenCalls = 0;
  for (const e of ["ready", "identity", "identity-lost", "reset", "error", "message"]) {
    SetChat.on(e, (detail) => window.hostEvents.push({ event: e, detail }));
  }
  async function token() {
    window.tokenCalls++;
    const res = await fetch("/token", { method: "POST", body: JSON.stringify({ user: opts.user, workspace: opts.workspace }) });
    return (await res.json()).token;
  }
  const config = { siteApiKey: settings.siteApiKey, apiUrl: settings.apiUrl, locale: "en", pollIntervalMs: opts.pollIntervalMs ?? 400 };
  if (opts.workspace) config.workspace = { externalId: opts.workspace };
  if (opts.mode === "verified") config.getVisitorToken = token;
  if (opts.mode === "verified-once") config.visitorToken = await token();
  if (opts.mode === "prechat") config.collectUserData = true;
  if (opts.clientUser) config.user = opts.clientUser;
  window.hostReady = SetChat.init(config).then(() => "ok", (e) => String(e));
})();
</script>
</body></html>`;
}

/** Starts the host page for `target`; `widgetScript` replaces the target's script (broken widgets). */
export function startHostPage(target: Target, options: { widgetScript?: string } = {}): HostPage {
  const widgetSrc = options.widgetScript === undefined ? target.widgetUrl : "/widget.js";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/") {
      return new Response(page(target, widgetSrc), { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (url.pathname === "/widget.js" && options.widgetScript !== undefined) {
      return new Response(options.widgetScript, { headers: { "content-type": "text/javascript" } });
    }
    if (url.pathname === "/token" && request.method === "POST") {
      const { user, workspace } = await request.json() as Pick<HostOptions, "user" | "workspace">;
      if (!user) return Response.json({ token: null });
      // The customer's backend, server to server.
      const res = await fetch(`${target.apiUrl}/api/widget/visitor-token`, {
        method: "POST",
        headers: { authorization: `Bearer ${target.vars.serverToken}`, "content-type": "application/json" },
        body: JSON.stringify({
          siteApiKey: target.vars.siteApiKey,
          externalUserId: user.id,
          ...(user.email ? { email: user.email } : {}),
          ...(user.name ? { name: user.name } : {}),
          ...(user.metadata ? { metadata: user.metadata } : {}),
          ...(workspace ? { workspace: { externalId: workspace } } : {}),
        }),
      });
      const body = await res.json();
      return Response.json({ token: res.ok ? body.token : null });
    }
    return new Response("Not found", { status: 404 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const close = () => server.shutdown();
  return {
    url: (o) => `${base}/?c=${encodeURIComponent(JSON.stringify(o))}`,
    close,
    [Symbol.asyncDispose]: close,
  };
}
