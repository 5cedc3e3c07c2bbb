// A lossless reading of payload JSON: the tree keeps each number as the text the
// ledger stores (1.10, 1e3, 12345678901234567890 stay as written), which
// JSON.parse alone would round. It uses the reviver's source text (ES2025 "JSON.parse
// source text access", in V8 since Chromium 114 and Node 21).

export type JsonNode =
  | { type: 'object'; entries: Array<[string, JsonNode]> }
  | { type: 'array'; items: JsonNode[] }
  | { type: 'string'; value: string }
  | { type: 'number'; source: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' };

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

const NODE = Symbol('json-node');
type Wrapped = { [NODE]: JsonNode };
const node = (v: unknown): JsonNode => (v as Wrapped)[NODE];

const revive: Reviver = function (_key, value, context) {
  let n: JsonNode;
  if (typeof value === 'number') n = { type: 'number', source: context?.source ?? String(value) };
  else if (typeof value === 'string') n = { type: 'string', value };
  else if (typeof value === 'boolean') n = { type: 'boolean', value };
  else if (value === null) n = { type: 'null' };
  else if (Array.isArray(value)) n = { type: 'array', items: value.map(node) };
  else n = { type: 'object', entries: Object.keys(value as object).map((k) => [k, node((value as Record<string, unknown>)[k])]) };
  return { [NODE]: n } satisfies Wrapped;
};

/** The tree of a JSON text, or null when it is not JSON. */
export function parseLossless(text: string): JsonNode | null {
  try {
    return node((JSON.parse as (t: string, r: Reviver) => unknown)(text, revive));
  } catch {
    return null;
  }
}

/** The text a leaf shows: numbers as stored, strings as JSON strings. */
export function leafText(n: JsonNode): string {
  switch (n.type) {
    case 'number':
      return n.source;
    case 'string':
      return JSON.stringify(n.value);
    case 'boolean':
      return String(n.value);
    case 'null':
      return 'null';
    default:
      return n.type === 'array' ? `[${n.items.length}]` : `{${n.entries.length}}`;
  }
}
