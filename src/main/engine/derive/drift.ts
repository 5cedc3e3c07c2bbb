// Drift: where a ledger keeps its own runs/node_runs tables (the seed's StateDB, in
// the ledger file or in a state.db beside a JSONL store), every field where the
// stored state and the state rebuilt from events disagree.
import { normaliseStatus, type DriftRow, type RunState } from '../../../shared/projection.ts';
import type { StoredState } from '../read/reader.ts';

const RUN_FIELDS = ['workflow_id', 'version', 'schedule_id', 'status'] as const;
const NODE_FIELDS = ['run_id', 'node_id', 'attempt', 'status'] as const;

const same = (field: string, a: unknown, b: unknown) =>
  field === 'status' ? normaliseStatus(a as string) === normaliseStatus(b as string) : (a ?? null) === (b ?? null) || String(a) === String(b);

/** Compares rebuilt states with the stored rows; `only` limits it to one run. */
export function driftOf(stored: StoredState, states: RunState[], opts: { only?: string } = {}): DriftRow[] {
  const out: DriftRow[] = [];
  const rebuiltRuns = new Map(states.map((s) => [s.run.run_id, s]));
  const storedRuns = stored.runs.filter((r) => !opts.only || r.run_id === opts.only);
  const storedIds = new Set(storedRuns.map((r) => String(r.run_id)));
  for (const row of storedRuns) {
    const id = String(row.run_id);
    const s = rebuiltRuns.get(id);
    if (!s) {
      out.push({ table: 'runs', key: id, run_id: id, field: 'row', stored: 'present', rebuilt: 'absent' });
      continue;
    }
    for (const f of RUN_FIELDS) if (f in row && !same(f, row[f], s.run[f])) out.push({ table: 'runs', key: id, run_id: id, field: f, stored: row[f], rebuilt: s.run[f] });
  }
  if (stored.runs.length)
    for (const s of states) if (!storedIds.has(s.run.run_id) && (!opts.only || s.run.run_id === opts.only))
      out.push({ table: 'runs', key: s.run.run_id, run_id: s.run.run_id, field: 'row', stored: 'absent', rebuilt: 'present' });

  const rebuiltNodes = states.flatMap((s) => s.node_runs);
  const byId = new Map(rebuiltNodes.map((n) => [n.node_run_id, n]));
  const byNatural = new Map(rebuiltNodes.map((n) => [`${n.run_id}\u0000${n.node_id}\u0000${n.attempt}`, n]));
  const matched = new Set<string>();
  for (const row of stored.nodeRuns) {
    if (opts.only && row.run_id !== opts.only) continue;
    const key = String(row.node_run_id ?? `${row.run_id}:${row.node_id}:${row.attempt}`);
    // Stored ids need not follow our naming; (run, node, attempt) identifies a node-run too.
    const n = byId.get(key) ?? byNatural.get(`${row.run_id}\u0000${row.node_id}\u0000${row.attempt}`);
    if (!n) {
      out.push({ table: 'node_runs', key, run_id: String(row.run_id), field: 'row', stored: 'present', rebuilt: 'absent' });
      continue;
    }
    matched.add(n.node_run_id);
    for (const f of NODE_FIELDS) if (f in row && !same(f, row[f], n[f])) out.push({ table: 'node_runs', key, run_id: n.run_id, field: f, stored: row[f], rebuilt: n[f] });
  }
  if (stored.nodeRuns.length)
    for (const n of rebuiltNodes)
      if (!matched.has(n.node_run_id) && (!opts.only || n.run_id === opts.only))
        out.push({ table: 'node_runs', key: n.node_run_id, run_id: n.run_id, field: 'row', stored: 'absent', rebuilt: 'present' });
  return out;
}
