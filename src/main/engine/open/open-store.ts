// What the user gave to open: a postgres:// URL opens a table on a server, anything
// else a ledger file or JSONL store.
import { isPgUrl } from '../pg/pg-url.ts';
import { PgLedger } from '../pg/pg-ledger.ts';
import { Ledger, type OpenOptions } from './ledger.ts';

export type Store = Ledger | PgLedger;

export function openStore(given: string, opts: OpenOptions & { table?: string } = {}): Store {
  if (isPgUrl(given)) return PgLedger.open(given, { cacheDir: opts.cacheDir, table: opts.table, mapping: opts.mapping, rules: opts.rules });
  return Ledger.open(given, opts);
}
