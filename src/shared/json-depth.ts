// How deeply JSON text nests, measured without recursion: a payload nested thousands
// deep must get a clear error, not a stack overflow in whatever parses it next.

/**
 * The deepest payload a ledger takes. SQLite's JSON functions stop at 1,000 levels
 * (every --where on such a row fails as "malformed JSON"), and the window's tree and
 * JSON.stringify recurse per level; 256 leaves room for all of them.
 */
export const MAX_PAYLOAD_DEPTH = 256;

/** The nesting depth of JSON text (0 for a scalar), counting brackets outside strings. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
