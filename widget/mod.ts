/**
 * The SetChat widget script. Load it with `<script src=".../widget.js">`,
 * then call `SetChat.init({ siteApiKey, … })`. Its public API is the
 * `SetChat` global below; see docs/widget.md for every option and event.
 */
import { ChatWidget, type SetChatConfig, type SetChatEvents } from "./widget.ts";

export type { SetChatConfig, SetChatEvents };

/** The `SetChat` global. */
export interface SetChatApi {
  /** Starts (or restarts) the widget for a visitor. */
  init(config: SetChatConfig): Promise<void>;
  /** Logout: ends the session, forgets this browser's device credential, clears the panel. */
  reset(): Promise<void>;
  open(): void;
  close(): void;
  on<E extends keyof SetChatEvents>(event: E, listener: (detail: SetChatEvents[E]) => void): () => void;
  off<E extends keyof SetChatEvents>(event: E, listener: (detail: SetChatEvents[E]) => void): void;
  /** What the widget shows now: phase, whether open, and the session's identity. */
  state(): ReturnType<ChatWidget["state"]>;
  version: string;
}

// The server the script came from is the default API: read it while the script runs.
const script = document.currentScript as HTMLScriptElement | null;
const defaultApiUrl = script?.src ? new URL(script.src).origin : undefined;

const widget = new ChatWidget(defaultApiUrl ? { defaultApiUrl } : {});

const api: SetChatApi = {
  init: (config) => widget.init(config),
  reset: () => widget.reset(),
  open: () => widget.open(),
  close: () => widget.close(),
  on: (event, listener) => widget.on(event, listener),
  off: (event, listener) => widget.off(event, listener),
  state: () => widget.state(),
  version: "1.0",
};

/** A call the asynchronous loader snippet queued before this script arrived: replayed in order. */
type QueuedCall = [
  method: string,
  args: unknown[],
  resolve: (value: unknown) => void,
  reject: (error: unknown) => void,
];

const global = globalThis as unknown as { SetChat?: SetChatApi | { q?: QueuedCall[] } };
const queued = global.SetChat && "q" in global.SetChat && Array.isArray(global.SetChat.q) ? global.SetChat.q : [];
global.SetChat = api;
for (const [method, args, resolve, reject] of queued) {
  const call = (api as unknown as Record<string, unknown>)[method];
  if (typeof call !== "function") {
    reject(new TypeError(`Cannot call SetChat.${method}(): there is no such method`));
    continue;
  }
  try {
    Promise.resolve(call(...args)).then(resolve, reject);
  } catch (error) {
    reject(error);
  }
}
