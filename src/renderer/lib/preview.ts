// Payload text as a person reads it: \uXXXX escapes shown as their characters
// (a \\u that is an escaped backslash stays), and the places a search text hits.

const ESCAPE = /(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})/g;

/** JSON text with its \u escapes decoded; other escapes are left as written. */
export function decodeEscapes(text: string): string {
  return text.includes('\\u') ? text.replace(ESCAPE, (_m, slashes: string, hex: string) => slashes + String.fromCharCode(parseInt(hex, 16))) : text;
}

/** Splits text into plain and hit parts for a case-insensitive search text. */
export function splitHits(text: string, needle: string | undefined): Array<{ text: string; hit: boolean }> {
  if (!needle) return [{ text, hit: false }];
  const lower = text.toLowerCase();
  const n = needle.toLowerCase();
  const parts: Array<{ text: string; hit: boolean }> = [];
  let at = 0;
  for (let i = lower.indexOf(n); i !== -1 && n; i = lower.indexOf(n, at)) {
    if (i > at) parts.push({ text: text.slice(at, i), hit: false });
    parts.push({ text: text.slice(i, i + n.length), hit: true });
    at = i + n.length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), hit: false });
  return parts;
}
