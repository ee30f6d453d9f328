/**
 * Finding Debian's Chromium. Kept apart from launching it so that checking
 * for it does not load Playwright.
 */

/** Where Chromium is looked for, in order, after `SETCHAT_CHROMIUM`. */
export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

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
