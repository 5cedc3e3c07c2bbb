// Payloads are kept as the text they were written in: JSON.parse then stringify
// would round 64-bit integers, turn 1.10 into 1.1, 1e400 into null, reorder
// integer-like keys and decode \u escapes. These helpers find a member's text
// inside a JSON object's text, so a payload can be stored byte for byte.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The index just past the string that opens at `i` (a quote). */
function skipString(text: string, i: number): number {
  for (let j = i + 1; ; ) {
    const q = text.indexOf('"', j);
    if (q === -1) return text.length;
    let slashes = 0;
    for (let k = q - 1; text.charCodeAt(k) === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The index just past the value that starts at `i` (no leading whitespace). */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c !== 0x7b && c !== 0x5b) {
    // A number, true, false or null: runs to the next delimiter.
    let j = i;
    for (; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === 0x2c || d === 0x7d || d === 0x5d || isSpace(d)) break;
    }
    return j;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const d = text.charCodeAt(j);
    if (d === QUOTE) j = skipString(text, j) - 1;
    else if (d === 0x7b || d === 0x5b) depth++;
    else if (d === 0x7d || d === 0x5d) {
      if (--depth === 0) return j + 1;
    }
  }
  return text.length;
}

const skipSpace = (text: string, i: number) => {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
};

/**
 * The text of member `key` of the JSON object `json` (valid JSON, already parsed
 * by the caller), exactly as written; the last one if the key repeats, as
 * JSON.parse keeps the last. Undefined when absent or `json` is not an object.
 */
export function memberText(json: string, key: string): string | undefined {
  let i = skipSpace(json, 0);
  if (json.charCodeAt(i) !== 0x7b) return undefined;
  i = skipSpace(json, i + 1);
  let found: string | undefined;
  while (json.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(json, i);
    const start = skipSpace(json, skipSpace(json, keyEnd) + 1); // past the colon
    const end = skipValue(json, start);
    if (isKey(json, i, keyEnd, key)) {
      found = json.slice(start, end);
      // A later member of the same name is the one JSON.parse keeps; without its name
      // (or an escape that could spell it) in the rest of the line, there is none.
      if (json.indexOf(`"${key}"`, end) === -1 && json.indexOf('\\', end) === -1) return found;
    }
    i = skipSpace(json, end);
    if (json.charCodeAt(i) !== 0x2c) break;
    i = skipSpace(json, i + 1);
  }
  return found;
}

/** Whether the string json[start, end) (quotes included) is `key`, compared in place when it has no escape. */
function isKey(json: string, start: number, end: number, key: string): boolean {
  if (end - start - 2 === key.length && json.startsWith(key, start + 1)) return true;
  const raw = json.slice(start + 1, end - 1);
  return raw.includes('\\') && JSON.parse(json.slice(start, end)) === key;
}

/** Whether `text` is JSON that can sit inside one JSONL line as it is (valid, no line breaks). */
export function fitsOnLine(text: string): boolean {
  if (text.includes('\n') || text.includes('\r')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a parsed value holds a number its JSON text cannot give back as it was
 * written: not finite (1e400 parsed), -0, or an integer past 2^53 (rounded by the
 * parse). `$.path = value`, or null when every number is kept.
 */
export function unkeptNumber(value: unknown, at = '$'): string | null {
  // The path is only worth building for a payload that has such a number (appends run this per event).
  if (at === '$' && !hasUnkept(value)) return null;
  if (typeof value === 'number') return isUnkept(value) ? `${at} = ${Object.is(value, -0) ? '-0' : String(value)}` : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const found = unkeptNumber(v, Array.isArray(value) ? `${at}[${k}]` : `${at}.${k}`);
    if (found) return found;
  }
  return null;
}

const isUnkept = (n: number) => !Number.isFinite(n) || Object.is(n, -0) || (Number.isInteger(n) && !Number.isSafeInteger(n));

function hasUnkept(value: unknown): boolean {
  if (typeof value === 'number') return isUnkept(value);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasUnkept);
  for (const k in value) if (hasUnkept((value as Record<string, unknown>)[k])) return true;
  return false;
}
