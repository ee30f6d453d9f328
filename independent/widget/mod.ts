/**
 * A second SetChat widget, written apart from `widget/` from docs/widget.md
 * and docs/contract.md alone: its own markup, storage and timers. The browser
 * suite must pass it, and catch each bug planted in it (`planted.ts`).
 * Load it with `<script src=".../widget.js">`, then call `SetChat.init()`.
 */
import { type Config, Widget } from "./widget.ts";

const script = document.currentScript as HTMLScriptElement | null;
const widget = new Widget(script?.src ? new URL(script.src).origin : undefined);

(globalThis as unknown as { SetChat: unknown }).SetChat = {
  init: (config: Config) => widget.init(config),
  reset: () => widget.reset(),
  open: () => widget.open(),
  close: () => widget.close(),
  on: (event: string, listener: (detail: unknown) => void) => widget.on(event, listener),
  off: (event: string, listener: (detail: unknown) => void) => widget.off(event, listener),
  state: () => widget.state(),
};
