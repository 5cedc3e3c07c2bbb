// Following a PostgreSQL ledger by LISTEN/NOTIFY, on a real server: a table whose
// insert trigger notifies (the channel read from the trigger's function) is followed
// by its notifications; a table without one by polling; a channel connection that
// dies leaves polling to carry on, with no error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Follower } from '../src/main/engine/derive/tail.ts';
import { PgLedger } from '../src/main/engine/pg/pg-ledger.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { canonicalFromSqlite } from './helpers/pg-fixtures.ts';
import { startPgServer, type PgServer } from './helpers/pg-server.ts';

let server: PgServer;
let dir: string;
const open: PgLedger[] = [];
/** No poll in the hour a test takes: what arrives came by notification. */
const NO_POLL = 3_600_000;

beforeAll(async () => {
  server = await startPgServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pgn-'));
  const db = path.join(dir, 'ledger.db');
  generateLedger(db, { events: 200, runs: 3, seed: 4 });
  server.createDb('team');
  for (const table of ['literal', 'by_arg', 'by_statement', 'by_table_name', 'silent', 'before_only'])
    canonicalFromSqlite(server, 'team', db, { table });
  server.psql(
    `CREATE FUNCTION tell_literal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('Ledger''s events', NEW."offset"::text); RETURN NEW; END $$;
     CREATE TRIGGER announce AFTER INSERT ON literal FOR EACH ROW EXECUTE FUNCTION tell_literal();
     CREATE FUNCTION tell_arg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$;
     CREATE TRIGGER announce AFTER INSERT ON by_arg FOR EACH STATEMENT EXECUTE FUNCTION tell_arg('from_args');
     CREATE FUNCTION tell_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN -- pg_notify('not_this', '')
       NOTIFY Ledger_Tail; RETURN NULL; END $$;
     CREATE TRIGGER announce AFTER INSERT OR UPDATE ON by_statement FOR EACH ROW EXECUTE FUNCTION tell_statement();
     CREATE FUNCTION tell_table() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify(TG_TABLE_NAME, NEW.id); RETURN NEW; END $$;
     CREATE TRIGGER announce AFTER INSERT ON by_table_name FOR EACH ROW EXECUTE FUNCTION tell_table();
     CREATE TRIGGER announce BEFORE INSERT ON before_only FOR EACH ROW EXECUTE FUNCTION tell_literal();`,
    'team',
  );
});

afterAll(() => {
  for (const l of open) l.close();
  server?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

function ledger(table: string): PgLedger {
  const l = PgLedger.open(server.url('team'), { table, cacheDir: path.join(dir, 'cache') });
  open.push(l);
  return l;
}

let inserted = 0;
/** A row committed by another client (psql). */
function insert(table: string): number {
  const id = `other-${++inserted}`;
  return Number(
    server.psql(`INSERT INTO ${table} (id, run_id, turn, kind, actor, payload, created_at) VALUES ('${id}', 'run-n', 0, 'log', 'psql', '{}', '2026-01-01T00:00:00.000Z') RETURNING "offset"`, 'team').trim(),
  );
}

const until = async (done: () => boolean) => {
  while (!done()) await new Promise((r) => setTimeout(r, 10));
};

/** A follower that polls only every `intervalMs`, with what it saw and the errors it reported. */
function follow(l: PgLedger, intervalMs: number) {
  const seen: number[] = [];
  const errors: Error[] = [];
  const follower = new Follower(l, { intervalMs, onEvents: (es) => seen.push(...es.map((e) => e.offset)), onError: (e) => errors.push(e) }).start();
  return { seen, errors, follower };
}

describe('following by LISTEN/NOTIFY', () => {
  it.each(['literal', 'by_arg', 'by_statement', 'by_table_name'])('a commit to a table whose trigger notifies (%s) reaches a follower that never polls', async (table) => {
    const l = ledger(table);
    const { seen, errors, follower } = follow(l, NO_POLL);
    try {
      const offsets = [insert(table), insert(table)];
      await until(() => seen.length >= 2 || errors.length > 0);
      expect(errors).toEqual([]);
      expect(seen).toEqual(offsets);
    } finally {
      follower.stop();
    }
  });

  it('a table without a notifying trigger (none, or one that fires before the insert) has no watch and tails by polling', async () => {
    for (const table of ['silent', 'before_only']) {
      const l = ledger(table);
      expect(l.watch(() => undefined)).toBeNull();
      const { seen, errors, follower } = follow(l, 20);
      try {
        const offset = insert(table);
        await until(() => seen.length > 0 || errors.length > 0);
        expect(errors).toEqual([]);
        expect(seen).toEqual([offset]);
      } finally {
        follower.stop();
      }
    }
  });

  it('the channel connection dying leaves polling to carry on, with no error', async () => {
    const l = ledger('literal');
    let told = 0;
    const stop = l.watch(() => told++)!;
    expect(stop).toBeTypeOf('function');
    stop();
    const { seen, errors, follower } = follow(l, 30);
    try {
      const first = insert('literal');
      await until(() => seen.length > 0);
      const killed = server.psql(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'`, 'team').trim();
      expect(killed).toBe('1');
      const second = insert('literal');
      await until(() => seen.length > 1 || errors.length > 0);
      expect(errors).toEqual([]);
      expect(seen).toEqual([first, second]);
      expect(told).toBe(0);
    } finally {
      follower.stop();
    }
  });
});
