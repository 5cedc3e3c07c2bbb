// Human-readable output of the CLI: aligned, one event a line, colour-free so it pipes cleanly.
import { cell, fitWidth, formatDuration, formatMs } from '../../shared/format.ts';
import type { LedgerEvent, LedgerStats } from '../../shared/ledger.ts';
import type { NodeRunProjection, ReplayPosition, RunDetail, RunProjection } from '../../shared/projection.ts';
import type { Progress } from '../engine/base/jobs.ts';

const n = (v: number | null) => (v === null ? '-' : v.toLocaleString('en-US'));

export function printStats(s: LedgerStats): void {
  // A big table's counts are the database planner's estimates: marked, as the app marks them.
  const about = s.estimate ? '≈' : '';
  const lines: Array<[string, string]> = [
    ['path', s.path],
    ['layout', `${s.layout} (table ${s.table})`],
    ['events', about + n(s.events)],
    ['runs', about + n(s.runs)],
    ['offsets', `${n(s.first_offset)} .. ${n(s.last_offset)}`],
    ['time', `${s.first_time ?? '-'} .. ${s.last_time ?? '-'}`],
  ];
  const m = s.mapping.mapping;
  if (m) lines.push(['mapping', `${s.mapping.how}: ${Object.entries(m).map(([k, v]) => `${k}=${v}`).join(',')}`]);
  if (s.rules.rules) lines.push(['rules', `${s.rules.how}: ${JSON.stringify(s.rules.rules)}`]);
  for (const [k, v] of lines) console.log(`${k.padEnd(8)} ${v}`);
  console.log('kinds');
  const kinds = Object.entries(s.kinds).sort((a, b) => b[1] - a[1]);
  const width = Math.max(0, ...kinds.map(([k]) => k.length));
  for (const [k, c] of kinds) console.log(`  ${k.padEnd(width)}  ${(about + n(c)).padStart(12)}`);
  if (s.estimate) console.log("≈: the database planner's estimate (a big table), not a count");
  for (const w of s.warnings) console.error(`warning: ${w}`);
}

/** One event as an aligned line: offset, time, run, seq, kind, actor, payload preview. */
export function eventLine(e: LedgerEvent): string {
  return [
    cell(String(e.offset), 9, true),
    cell(e.time ?? '', 24),
    cell(e.run_id, 24),
    cell(String(e.seq ?? ''), 6, true),
    cell(e.kind, 18),
    cell(e.actor ?? '', 10),
    fitWidth(e.payload.replace(/\s+/g, ' '), 100),
  ].join('  ');
}

/** A one-line bar on stderr when it is a terminal; silent otherwise. */
export function progressBar(label: string): { update: (p: Progress) => void; end: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, end: () => {} };
  let start = performance.now();
  let unit = '';
  let shown = false;
  return {
    update(p) {
      // A job of phases (rows, then indexes) counts each in its own unit: the estimate starts again.
      if (p.unit !== unit) [unit, start] = [p.unit, performance.now()];
      const frac = p.total ? Math.min(1, p.done / p.total) : 0;
      const secs = (performance.now() - start) / 1000;
      const eta = frac > 0.01 ? ` eta ${formatMs(Math.round((secs / frac) * (1 - frac)) * 1000)}` : '';
      const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '.');
      process.stderr.write(`\r${label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${n(p.done)}/${n(p.total)} ${p.unit}${eta}   `);
      shown = true;
    },
    end() {
      if (shown) process.stderr.write('\n');
      shown = false;
    },
  };
}

export const RUNS_HEADER = ['run', 'status', 'workflow', 'version', 'started', 'duration', 'events'].map((h, i) => cell(h, [24, 11, 16, 8, 24, 9, 8][i]!)).join(' ');

/** One run as an aligned line under RUNS_HEADER. */
export function runLine(r: RunProjection): string {
  return [
    cell(r.run_id, 24),
    cell(`${r.status}${r.status_derived ? '*' : ''}`, 11),
    cell(r.workflow_id ?? '', 16),
    cell(r.version ?? '', 8),
    cell(r.started_at ?? '', 24),
    cell(formatDuration(r.started_at, r.ended_at), 9),
    cell(n(r.event_count), 8, true),
  ].join(' ');
}

function printNodeRuns(nodes: NodeRunProjection[], changed?: Set<string>): void {
  for (const nr of nodes)
    console.log(
      `  ${changed?.has(nr.node_run_id) ? '>' : ' '} ${cell(nr.node_id, 20)} #${String(nr.attempt).padEnd(3)} ${nr.status.padEnd(10)} ${(nr.started_at ?? '').padEnd(24)} ${cell(nr.duration_ms === null ? '' : formatMs(nr.duration_ms), 9)} ${nr.error ?? ''}`,
    );
}

function printRunFields(r: RunProjection, changed?: Set<string>): void {
  for (const [k, v] of Object.entries(r)) console.log(`${changed?.has(k) ? '>' : ' '} ${k.padEnd(15)} ${v ?? '-'}`);
}

export function printRun(d: RunDetail): void {
  printRunFields(d.run);
  console.log(`node-runs (${d.node_runs.length})`);
  printNodeRuns(d.node_runs);
  if (d.drift === null) return;
  if (!d.drift.length) console.log('drift: none (stored tables agree with the events)');
  else {
    console.log(`drift (${d.drift.length})`);
    for (const x of d.drift) console.log(`  ${x.table} ${x.key} ${x.field}: stored ${JSON.stringify(x.stored)}, rebuilt ${JSON.stringify(x.rebuilt)}`);
  }
}

export function printReplay(p: ReplayPosition): void {
  console.log(`step ${p.step} of ${p.steps}`);
  if (p.event) console.log(`event  ${p.event.offset} ${p.event.kind} ${p.event.time ?? ''} ${fitWidth(p.event.payload, 100)}`);
  if (!p.state.run) return console.log('(empty state: before the first event)');
  printRunFields(p.state.run, new Set(p.changed.run));
  console.log(`node-runs (${p.state.node_runs.length})`);
  printNodeRuns(p.state.node_runs, new Set(p.changed.node_runs));
}
