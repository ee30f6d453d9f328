/**
 * Finding and launching Debian's Chromium. Playwright's own browser download
 * is never used. Flags keep it off the network and fit a container.
 */
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";

/** Where Chromium is looked for, in order, after `SETCHAT_CHROMIUM`. */
export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

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

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The Chromium executable, or `undefined` when there is none. */
export async function findChromium(env = (n: string) => Deno.env.get(n)): Promise<string | undefined> {
  const configured = env("SETCHAT_CHROMIUM");
  if (configured) return (await exists(configured)) ? configured : undefined;
  for (const path of CHROMIUM_PATHS) if (await exists(path)) return path;
  return undefined;
}

/** What to tell someone who has no Chromium. */
export const INSTALL_HINT = "Cannot find Chromium: install it (Debian, Ubuntu: `apt-get install -y chromium`) " +
  "or set SETCHAT_CHROMIUM to a Chrome or Chromium executable";

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
