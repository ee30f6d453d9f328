/**
 * Finding and launching Debian's Chromium. Playwright's own browser download
 * is never used. Flags keep it off the network and fit a container.
 */
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";
import { findChromium, INSTALL_HINT } from "./find_chromium.ts";

/** The flags every launch uses. */
export const CHROMIUM_FLAGS = [
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-dev-shm-usage",
];

/** Launches headless Chromium; `--no-sandbox` only when running as root, where the sandbox cannot start. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await findChromium();
  if (!executablePath) throw new Error(INSTALL_HINT);
  const root = Deno.uid?.() === 0;
  return await chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(root ? ["--no-sandbox"] : [])],
  });
}
