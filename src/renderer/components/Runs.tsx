// Runs rebuilt from the ledger's events: the list, one run's node-runs as a table
// and a timeline of attempts, and drift from the ledger's own stored tables.
import { useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { formatDuration } from '../../shared/format.ts';
import type { DriftRow, NodeRunProjection, RunProjection } from '../../shared/projection.ts';
import type { AppStore } from '../lib/store.ts';

const n = (x: number) => x.toLocaleString('en-US');
const short = (t: string | null) => (t ? t.replace('T', ' ').slice(0, 19) : '');

type SortKey = 'first_offset' | 'status' | 'workflow_id' | 'started_at' | 'duration' | 'event_count';

export function StatusBadge({ status, derived }: { status: string; derived?: boolean }) {
  return (
    <span className={`status-badge s-${status}`} title={derived ? 'derived from its node-runs' : undefined}>
      {status}
      {derived ? '*' : ''}
    </span>
  );
}

export function RunsPanel({ store }: { store: AppStore }) {
  const runs = useStore(store, (s) => s.runs);
  const driftRuns = useStore(store, (s) => s.driftRuns);
  const selected = useStore(store, (s) => s.runDetail?.run.run_id);
  const selectRun = useStore(store, (s) => s.selectRun);
  const [status, setStatus] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'first_offset', dir: 1 });
  const list = useMemo(() => {
    const dur = (r: RunProjection) => (r.started_at && r.ended_at ? Date.parse(r.ended_at) - Date.parse(r.started_at) : -1);
    const val = (r: RunProjection): string | number => (sort.key === 'duration' ? dur(r) : (r[sort.key] ?? ''));
    return (runs ?? []).filter((r) => !status || r.status === status).sort((a, b) => (val(a) < val(b) ? -1 : val(a) > val(b) ? 1 : 0) * sort.dir);
  }, [runs, status, sort]);
  const head = (key: SortKey, label: string) => (
    <th onClick={() => setSort((s) => ({ key, dir: s.key === key ? (-s.dir as 1 | -1) : 1 }))} className={sort.key === key ? 'sorted' : ''}>
      {label}
      {sort.key === key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
    </th>
  );
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const r of runs ?? []) c[r.status] = (c[r.status] ?? 0) + 1;
    return c;
  }, [runs]);
  return (
    <section className="runs-panel" data-testid="runs-panel" aria-label="Runs">
      <header>
        <strong>Runs</strong>
        <span className="muted">{runs ? n(runs.length) : 'folding…'}</span>
        <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="run-status-filter" aria-label="Filter runs by status">
          <option value="">all statuses</option>
          {Object.entries(counts).map(([s, c]) => (
            <option key={s} value={s}>
              {s} ({n(c)})
            </option>
          ))}
        </select>
      </header>
      <div className="runs-scroll">
        <table className="runs">
          <thead>
            <tr>
              {head('first_offset', 'Run')}
              {head('status', 'Status')}
              {head('workflow_id', 'Workflow')}
              {head('started_at', 'Started')}
              {head('duration', 'Duration')}
              {head('event_count', 'Events')}
            </tr>
          </thead>
          <tbody>
            {list.slice(0, 2000).map((r) => (
              <tr key={r.run_id} className={`${r.status === 'failed' ? 'failed' : ''}${r.run_id === selected ? ' selected' : ''}`} onClick={() => void selectRun(r.run_id)} data-run={r.run_id}>
                <td title={r.run_id}>{r.run_id}</td>
                <td>
                  <StatusBadge status={r.status} derived={r.status_derived} />
                  {driftRuns?.[r.run_id] ? (
                    <span className="drift-mark" title={`${driftRuns[r.run_id]} difference(s) from the stored runs/node_runs tables`} data-testid="run-drift">
                      drift
                    </span>
                  ) : null}
                </td>
                <td title={`${r.workflow_id ?? ''} ${r.version ?? ''}`}>
                  {r.workflow_id ?? ''} <span className="muted">{r.version ?? ''}</span>
                </td>
                <td>{short(r.started_at)}</td>
                <td>{formatDuration(r.started_at, r.ended_at)}</td>
                <td className="num">{n(r.event_count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.length > 2000 && <p className="muted">{n(list.length - 2000)} more; narrow by status.</p>}
      </div>
    </section>
  );
}

function driftFor(drift: DriftRow[] | null, key: string) {
  return drift?.filter((d) => d.key === key) ?? [];
}

/** The attempts of each node on one time axis: retries side by side, failures in red. */
export function Gantt({ nodes, changed }: { nodes: NodeRunProjection[]; changed?: Set<string> }) {
  const times = nodes.flatMap((nr) => [nr.started_at, nr.ended_at].filter(Boolean).map((t) => Date.parse(t!)));
  if (!times.length) return null;
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const ids = [...new Set(nodes.map((nr) => nr.node_id))];
  const row = 18;
  const left = 120;
  const width = 560;
  return (
    <svg className="gantt" viewBox={`0 0 ${left + width + 10} ${ids.length * row + 6}`} data-testid="gantt">
      {ids.map((id, i) => (
        <text key={id} x={0} y={i * row + 13} className="g-label">
          {id}
        </text>
      ))}
      {nodes.map((nr) => {
        const s = nr.started_at ? Date.parse(nr.started_at) : t0;
        const e = nr.ended_at ? Date.parse(nr.ended_at) : t1;
        const x = left + ((s - t0) / (t1 - t0)) * width;
        const w = Math.max(2, ((e - s) / (t1 - t0)) * width);
        return (
          <g key={nr.node_run_id}>
            <rect x={x} y={ids.indexOf(nr.node_id) * row + 3} width={w} height={row - 6} rx={2} className={`g-bar s-${nr.status}${changed?.has(nr.node_run_id) ? ' changed' : ''}`}>
              <title>{`${nr.node_id} attempt ${nr.attempt}: ${nr.status}${nr.error ? ` — ${nr.error}` : ''}`}</title>
            </rect>
            {nr.attempt > 1 && (
              <text x={x + 2} y={ids.indexOf(nr.node_id) * row + 13} className="g-attempt">
                #{nr.attempt}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export function NodeRunsTable({ nodes, drift, changed }: { nodes: NodeRunProjection[]; drift?: DriftRow[] | null; changed?: Set<string> }) {
  return (
    <table className="node-runs" data-testid="node-runs">
      <thead>
        <tr>
          <th>Node</th>
          <th>Attempt</th>
          <th>Status</th>
          <th>Started</th>
          <th>Duration</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {nodes.map((nr) => {
          const d = driftFor(drift ?? null, nr.node_run_id);
          return (
            <tr key={nr.node_run_id} className={`${nr.status === 'failed' ? 'failed' : ''}${changed?.has(nr.node_run_id) ? ' changed' : ''}${d.length ? ' drift' : ''}`}>
              <td>{nr.node_id}</td>
              <td className="num">{nr.attempt}</td>
              <td>
                <StatusBadge status={nr.status} />
                {nr.retried ? <span className="muted" title="a retry of this attempt was recorded"> retried</span> : null}
                {d.map((x) => (
                  <span key={x.field} className="drift-mark" title="differs from the stored node_runs table" data-testid="node-drift">
                    {' '}
                    stored {x.field === 'status' ? '' : `${x.field} `}
                    {x.field === 'row' ? `row ${String(x.stored)}` : JSON.stringify(x.stored)}
                  </span>
                ))}
              </td>
              <td>{short(nr.started_at)}</td>
              <td>{nr.duration_ms === null ? '' : `${n(nr.duration_ms)} ms`}</td>
              <td className="error" title={nr.error ?? ''}>{nr.error ?? ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function RunFields({ run, changed, drift }: { run: RunProjection; changed?: Set<string>; drift?: DriftRow[] | null }) {
  const d = driftFor(drift ?? null, run.run_id);
  return (
    <table className="fields">
      <tbody>
        {Object.entries(run).map(([k, v]) => {
          const dd = d.find((x) => x.field === k);
          return (
            <tr key={k} className={`${changed?.has(k) ? 'changed' : ''}${dd ? ' drift' : ''}`}>
              <th>{k}</th>
              <td>
                {v === null ? <span className="null">—</span> : k === 'status' ? <StatusBadge status={String(v)} /> : String(v)}
                {dd && <span className="drift-mark"> stored: {JSON.stringify(dd.stored)}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function RunDetailPane({ store }: { store: AppStore }) {
  const detail = useStore(store, (s) => s.runDetail);
  const openReplay = useStore(store, (s) => s.openReplay);
  const setQuery = useStore(store, (s) => s.setQuery);
  if (!detail) return <div className="detail empty">Select a run in the runs panel.</div>;
  const { run, node_runs, drift } = detail;
  const missing = drift?.filter((d) => d.field === 'row') ?? [];
  return (
    <div className="run-detail" data-testid="run-detail">
      <header>
        <strong>{run.run_id}</strong>
        <StatusBadge status={run.status} derived={run.status_derived} />
        <span className="spacer" />
        <button onClick={() => void setQuery({ runs: [run.run_id] })}>Show its events</button>
        <button className="primary" onClick={() => void openReplay(run.run_id)} data-testid="replay-button">
          Replay
        </button>
      </header>
      {run.error && <p className="run-error">{run.error}</p>}
      <RunFields run={run} drift={drift} />
      <h3>node-runs ({node_runs.length})</h3>
      <Gantt nodes={node_runs} />
      <NodeRunsTable nodes={node_runs} drift={drift} />
      {drift && (
        <p className="muted" data-testid="drift-summary">
          {drift.length ? `${drift.length} difference(s) from the stored runs/node_runs tables${missing.length ? `, ${missing.length} row(s) on one side only` : ''}` : 'Stored runs/node_runs tables agree with the events.'}
        </p>
      )}
    </div>
  );
}
