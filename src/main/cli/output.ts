// Human-readable output of the CLI: aligned, one event a line, colour-free so it pipes cleanly.
import type { LedgerEvent, LedgerStats } from '../../shared/ledger.ts';
import type { Progress } from '../engine/jobs.ts';

const n = (v: number | null) => (v === null ? '-' : v.toLocaleString('en-US'));

export function printStats(s: LedgerStats): void {
  const lines: Array<[string, string]> = [
    ['path', s.path],
    ['layout', `${s.layout} (table ${s.table})`],
    ['events', n(s.events)],
    ['runs', n(s.runs)],
    ['offsets', `${n(s.first_offset)} .. ${n(s.last_offset)}`],
    ['time', `${s.first_time ?? '-'} .. ${s.last_time ?? '-'}`],
  ];
  for (const [k, v] of lines) console.log(`${k.padEnd(8)} ${v}`);
  console.log('kinds');
  const kinds = Object.entries(s.kinds).sort((a, b) => b[1] - a[1]);
  const width = Math.max(0, ...kinds.map(([k]) => k.length));
  for (const [k, c] of kinds) console.log(`  ${k.padEnd(width)}  ${n(c).padStart(12)}`);
  for (const w of s.warnings) console.error(`warning: ${w}`);
}

const cut = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s);

export function printEvents(events: LedgerEvent[], hasMore: boolean): void {
  for (const e of events) {
    const cols = [
      String(e.offset).padStart(9),
      (e.time ?? '').padEnd(24),
      cut(e.run_id, 24).padEnd(24),
      String(e.seq ?? '').padStart(6),
      cut(e.kind, 18).padEnd(18),
      cut(e.actor ?? '', 10).padEnd(10),
      cut(e.payload.replace(/\s+/g, ' '), 100),
    ];
    console.log(cols.join('  '));
  }
  if (hasMore && events.length) console.error(`… more after offset ${events.at(-1)!.offset} (use --after ${events.at(-1)!.offset})`);
}

/** A one-line bar on stderr when it is a terminal; silent otherwise. */
export function progressBar(label: string): { update: (p: Progress) => void; end: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, end: () => {} };
  const start = performance.now();
  let shown = false;
  return {
    update(p) {
      const frac = p.total ? Math.min(1, p.done / p.total) : 0;
      const secs = (performance.now() - start) / 1000;
      const eta = frac > 0.01 ? ` eta ${Math.round((secs / frac) * (1 - frac))}s` : '';
      const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '.');
      process.stderr.write(`\r${label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${n(p.done)}/${n(p.total)} ${p.unit}${eta}   `);
      shown = true;
    },
    end() {
      if (shown) process.stderr.write('\n');
    },
  };
}
