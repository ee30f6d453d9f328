/** DOM and fetch helpers shared by the demo's pages (the Acme page and the agent console). */

/** The element with `id`; the pages are static, so it is there. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** A new element with optional text and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

/** Calls the demo's backend under `/demo/api`; JSON in, JSON out, its error message thrown. */
export async function demoApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/demo/api${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(data.error ?? data.detail ?? res.statusText);
  return data as T;
}

/** A short time: the hour today, the day and hour otherwise. */
export function shortTime(iso: string): string {
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return date.toLocaleString(
    undefined,
    today ? { hour: "2-digit", minute: "2-digit" } : {
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
    },
  );
}
