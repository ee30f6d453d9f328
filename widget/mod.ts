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

(globalThis as unknown as { SetChat: SetChatApi }).SetChat = api;
