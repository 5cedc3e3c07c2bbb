// Which channel a table's inserts are announced on, read from its triggers: an
// enabled AFTER INSERT trigger whose function calls pg_notify(...) or runs NOTIFY,
// the channel taken from the function's text (a literal, the trigger's argument
// TG_ARGV[n], or TG_TABLE_NAME). Only the catalogs are read; nothing is created.
import type { SyncPg } from './sync-client.ts';

// pg_trigger.tgtype bits (PostgreSQL's trigger.h).
const TYPE_BEFORE = 1 << 1;
const TYPE_INSERT = 1 << 2;
const TYPE_INSTEAD = 1 << 6;

interface TriggerRow {
  source: string;
  args: Uint8Array | null;
}

/** The channel of the first notifying insert trigger on the table whose channel can be read; null when there is none. */
export function notifyChannel(pg: SyncPg, oid: number, tableName: string): string | null {
  const triggers = pg.rows<TriggerRow>(
    `SELECT p.prosrc AS source, t.tgargs AS args FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE t.tgrelid = $1 AND NOT t.tgisinternal AND t.tgenabled IN ('O', 'A')
        AND t.tgtype & $2 <> 0 AND t.tgtype & $3 = 0
      ORDER BY t.tgname`,
    [oid, TYPE_INSERT, TYPE_BEFORE | TYPE_INSTEAD],
  );
  for (const t of triggers) {
    const args = t.args?.length ? new TextDecoder().decode(t.args).split('\0').slice(0, -1) : [];
    const channel = channelIn(t.source, args, tableName);
    if (channel) return channel;
  }
  return null;
}

/** The channel a function's text notifies on, where the text names it plainly. */
function channelIn(source: string, args: string[], tableName: string): string | null {
  const code = source.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const call = /pg_notify\s*\(\s*(?:'((?:[^']|'')*)'|TG_ARGV\s*\[\s*(\d+)\s*\]|(TG_TABLE_NAME)\b)/i.exec(code);
  if (call) {
    if (call[1] !== undefined) return call[1].replaceAll("''", "'");
    if (call[2] !== undefined) return args[Number(call[2])] ?? null;
    return tableName;
  }
  // NOTIFY takes an identifier: folded to lower case unless quoted.
  const statement = /\bNOTIFY\s+(?:"((?:[^"]|"")*)"|([A-Za-z_][\w$]*))/i.exec(code);
  if (statement) return statement[1] !== undefined ? statement[1].replaceAll('""', '"') : statement[2]!.toLowerCase();
  return null;
}
