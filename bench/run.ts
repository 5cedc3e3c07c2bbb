// npm run bench [-- --events N] [-- --10m] [-- --peer-lines N] [-- --only a,b] [-- --pg]: every target as a ratio to a baseline measured in this run.
import fs from 'node:fs';
import path from 'node:path';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { benchAppend, benchImport, benchOpen, benchPages } from './engine.ts';
import { benchFold, benchReplay } from './projection.ts';
import { benchSearch, benchSnapshot, benchTail } from './bigops.ts';
import { benchExportBesideJobs } from './jobs.ts';
import { benchJsonlPeers } from './jsonl-peers.ts';
import { benchRenderer } from './renderer.ts';
import { benchRunsTable } from './runs-table.ts';
import { benchCliStream } from './cli.ts';
import { benchPg } from './pg.ts';
import { benchDir, info, rate, summary, time } from './lib.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const events = args.includes('--10m') ? 10_000_000 : Number(arg('--events') ?? 1_000_000);
const dir = benchDir();

function ledgerOf(n: number): string {
  const file = path.join(dir, `gen-${n}.db`);
  if (!fs.existsSync(file)) {
    const g = time(() => generateLedger(file, { events: n, seed: 42 }));
    info(`generate ${n.toLocaleString('en-US')} events`, `${rate(n, g.ms)} (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB)`);
  }
  return file;
}

console.log(`ledger-inspector bench: ${events.toLocaleString('en-US')} events, in ${dir}\n`);
const big = ledgerOf(events);
const small = ledgerOf(10_000);
// --only append,pages,...: just those benches (names as below), for working on one target.
const only = arg('--only')?.split(',');
const BENCHES: Record<string, () => unknown> = {
  append: () => benchAppend(dir, Math.min(events, 200_000)),
  open: () => benchOpen(big, small),
  pages: () => benchPages(big, events),
  import: () => benchImport(dir, big),
  jsonlPeers: () => benchJsonlPeers(dir, big, args.includes('--10m'), Number(arg('--peer-lines') ?? 1_000_000)),
  fold: () => benchFold(dir, big, events),
  replay: () => benchReplay(dir, 1_000_000),
  snapshot: () => benchSnapshot(dir, big),
  search: () => benchSearch(dir, big, events),
  tail: () => benchTail(dir, big, events),
  exportBesideJobs: () => benchExportBesideJobs(dir, big),
  cliStream: () => benchCliStream(big, events),
  renderer: () => benchRenderer(dir, big, events),
  runsTable: () => benchRunsTable(dir),
  // --pg: a local PostgreSQL server (Debian's postgresql package), as many rows as the run's ledger.
  ...(args.includes('--pg') ? { pg: () => benchPg(dir, events) } : {}),
};
const unknown = only?.filter((n) => !(n in BENCHES)) ?? [];
if (unknown.length) throw new Error(`no bench named ${unknown.join(', ')}; the names: ${Object.keys(BENCHES).join(', ')}`);
for (const [name, run] of Object.entries(BENCHES)) if (!only || only.includes(name)) await run();
const misses = summary();
console.log(misses ? `\n${misses} target(s) missed` : '\nall targets met');
