/**
 * A chat's title, taken from its first message, as people recognise a
 * conversation in a history or an inbox: the first line, its spaces
 * collapsed, cut at a word near `max` characters with an ellipsis.
 */

/** The longest title, in characters. */
export const CHAT_TITLE_MAX = 60;

/** The title of a chat whose first message is `text`; `null` for a message with no visible text. */
export function chatTitle(text: string, max = CHAT_TITLE_MAX): string | null {
  const line = text.split(/\r\n|\r|\n/).map((l) => l.replace(/\s+/g, " ").trim()).find((l) => l !== "");
  if (line === undefined) return null;
  const chars = [...line];
  if (chars.length <= max) return line;
  const cut = chars.slice(0, max - 1).join("");
  const space = cut.lastIndexOf(" ");
  // A cut inside a long word keeps the word's start rather than leave only a few words.
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}
