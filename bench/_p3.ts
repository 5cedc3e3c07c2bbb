import { Ledger } from '../src/main/engine/read/ledger.ts';
import { selectList } from '../src/main/engine/read/query.ts';
const l = Ledger.open('/work/tmp/speed/ledger-inspector-bench/gen-1000000.db');
const db = l.connection;
const N = 3000;
const at = (i: number) => Math.floor(((i * 7919) % 300) / 300 * 1e6);
const run = String(l.facets('run_id', {}, 1)[0]!.value);
const cols = selectList(l.source, 'preview');
const cases: Record<string, (i: number) => unknown> = {
  bare: ((s) => (i: number) => s.all(at(i)))(db.prepare('SELECT * FROM events WHERE offset > ? ORDER BY offset LIMIT 200')),
  engineSql: ((s) => (i: number) => s.all(at(i)))(db.prepare(`SELECT ${cols} FROM events WHERE "events"."offset" > ? ORDER BY "events"."offset" ASC LIMIT 201`)),
  page: (i) => l.page({ query: {}, after: at(i), limit: 200 }),
  bareRun: ((s) => (i: number) => s.all(run, at(i)))(db.prepare('SELECT * FROM events WHERE run_id = ? AND offset > ? ORDER BY offset LIMIT 200')),
  engineRunSql: ((s) => (i: number) => s.all(run, at(i)))(db.prepare(`SELECT ${cols} FROM events WHERE "events"."run_id" = ? AND "events"."offset" > ? ORDER BY "events"."offset" ASC LIMIT 201`)),
  pageRun: (i) => l.page({ query: { runs: [run] }, after: at(i), limit: 200 }),
};
const res: Record<string, number[]> = {};
for (let i = 0; i < N; i++) for (const [k, f] of Object.entries(cases)) { const a = performance.now(); f(i); (res[k] ??= []).push(performance.now() - a); }
for (const [k, v] of Object.entries(res)) { v.sort((a, b) => a - b); console.log(k.padEnd(16), (v[v.length >> 1] * 1000).toFixed(0), 'µs median'); }
