// Issue 18 targets, against a local PostgreSQL server started for the run: open and
// first page against a 10k-row table, random pages against bare keyset SQL on the
// same connection, the first facet answer, a snapshot against COPY TO STDOUT into
// /dev/null, and how soon a follower sees another client's commit.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Follower } from '../src/main/engine/derive/tail.ts';
import { PgLedger } from '../src/main/engine/pg/pg-ledger.ts';
import { generatedCanonical } from '../test/helpers/pg-fixtures.ts';
import { PG_BIN, startPgServer, type PgServer } from '../test/helpers/pg-server.ts';
import { info, median, ms, quantile, rate, report, time } from './lib.ts';

export async function benchPg(dir: string, n: number): Promise<void> {
  const server = await startPgServer();
  try {
    server.createDb('big');
    server.createDb('small');
    const filled = time(() => generatedCanonical(server, 'big', n));
    info(`PostgreSQL: fill ${n.toLocaleString('en-US')} rows`, rate(n, filled.ms));
    generatedCanonical(server, 'small', 10_000);

    // Open plus first page, big table against small, alternating, medians.
    const openFirst = (db: string) =>
      time(() => {
        const l = PgLedger.open(server.url(db));
        l.page({ limit: 200 });
        l.close();
      }).ms;
    const big: number[] = [];
    const small: number[] = [];
    for (let i = 0; i < 5; i++) {
      small.push(openFirst('small'));
      big.push(openFirst('big'));
    }
    report(`pg: open + first page, ${n.toLocaleString('en-US')} rows vs 10k`, ms(median(big)), ms(median(small)), median(big) / median(small), '<= 2', median(big) / median(small) <= 2);

    const ledger = PgLedger.open(server.url('big'));
    const pg = (ledger as unknown as { pg: { arrays(sql: string, params: unknown[]): unknown[][] } }).pg;
    try {
      let seed = 7;
      const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * n;
      const cases: Array<[string, object, string, unknown[]]> = [
        ['unfiltered', {}, '', []],
        ['by kind', { kinds: ['log'] }, 'AND kind = $3', ['log']],
        ['by run', { runs: ['run-42'] }, 'AND run_id = $3', ['run-42']],
      ];
      for (const [name, query, where, extra] of cases) {
        const at = Array.from({ length: 40 }, () => Math.floor(rnd()));
        // Bare keyset SQL (the same rows, no preview, no checks) over the same connection,
        // alternating with the API at each position so neither gets the quieter moment.
        const bare: number[] = [];
        const api: number[] = [];
        for (const after of at) {
          bare.push(time(() => pg.arrays(`SELECT * FROM events WHERE "offset" > $1 ${where} ORDER BY "offset" LIMIT $2`, [after, 201, ...extra])).ms);
          api.push(time(() => ledger.page({ after, limit: 200, query })).ms);
        }
        const ratio = median(api) / median(bare);
        report(`pg: random page of 200, ${name}`, ms(median(api)), ms(median(bare)), ratio, '<= 1.5', ratio <= 1.5);
      }

      const fresh = PgLedger.open(server.url('big'));
      const facet = time(() => fresh.facets('kind'));
      fresh.close();
      report('pg: first facet answer (ms vs 100 ms)', ms(facet.ms), '100 ms', facet.ms / 100, '< 1', facet.ms < 100);

      const dest = path.join(dir, 'pg-snapshot.db');
      fs.rmSync(dest, { force: true });
      const snap = time(() => ledger.snapshot(dest));
      fs.rmSync(dest, { force: true });
      const copy = time(() =>
        execFileSync('sh', ['-c', `psql -X -q -d "$1" -c 'COPY (SELECT * FROM events ORDER BY "offset") TO STDOUT' > /dev/null`, 'sh', server.url('big')], {
          env: { ...process.env, PATH: `${PG_BIN}:${process.env.PATH}` },
        }),
      );
      const speed = copy.ms / snap.ms;
      report('pg: snapshot into SQLite vs COPY TO STDOUT > /dev/null (speed)', rate(n, snap.ms), rate(n, copy.ms), speed, '>= 0.5', speed >= 0.5);

      // Polling alone, then by LISTEN/NOTIFY once the table has a notifying insert trigger.
      info('pg: tail p99 polling only (no notifying trigger)', ms(await benchPgTail(server, ledger, 'poll')));
      server.psql(
        `CREATE FUNCTION tell() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('events_new', NEW."offset"::text); RETURN NEW; END $$;
         CREATE TRIGGER tell AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION tell();`,
        'big',
      );
      const p99 = await benchPgTail(server, ledger, 'notify');
      report('pg: tail p99 by NOTIFY, another client commits every 20 ms (ms vs 250 ms)', ms(p99), '250 ms', p99 / 250, '< 1', p99 < 250);
    } finally {
      ledger.close();
    }
  } finally {
    server.remove();
  }
}

/** Another client commits a row every 20 ms with the time in it; the follower notes how late each arrives: the p99. */
async function benchPgTail(server: PgServer, ledger: PgLedger, name: string): Promise<number> {
  const lags: number[] = [];
  const follower = new Follower(ledger, {
    onEvents: (events) => {
      const now = Date.now();
      for (const e of events) {
        // Short payloads come whole in the follower's previews.
        const t = (JSON.parse(e.payload) as { t?: number }).t;
        if (t) lags.push(now - t);
      }
    },
    onError: (e) => {
      throw e;
    },
  }).start();
  const count = 150;
  const writer = spawn(path.join(PG_BIN, 'psql'), ['-X', '-q', '-d', server.url('big'), '-c',
    `DO $$ BEGIN FOR i IN 1..${count} LOOP
       INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at)
         VALUES ('tail-${name}-' || i, 'tail-run', 0, 'log', 'bench', '{"t":' || floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint || '}', to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
       COMMIT; PERFORM pg_sleep(0.02); END LOOP; END $$`]);
  await new Promise((resolve) => writer.on('close', resolve));
  while (lags.length < count) await new Promise((r) => setTimeout(r, 20));
  follower.stop();
  return quantile(lags, 0.99);
}
