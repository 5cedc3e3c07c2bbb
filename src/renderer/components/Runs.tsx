// Runs rebuilt from the ledger's events: the list, one run's node-runs as a table
// and a timeline of attempts, and drift from the ledger's own stored tables.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState } from 'react';
import { useApp, useAppStore } from '../lib/use-app.tsx';
import { formatDuration } from '../../shared/format.ts';
import type { DriftRow, NodeRunProjection, RunProjection } from '../../shared/projection.ts';
import { Gantt } from './Gantt.tsx';

const n = (x: number) => x.toLocaleString('en-US');
const short = (t: string | null) => (t ? t.replace('T', ' ').slice(0, 19) : '');

type SortKey = 'run_id' | 'status' | 'workflow_id' | 'started_at' | 'duration' | 'event_count';

export function StatusBadge({ status, derived }: { status: string; derived?: boolean }) {
  return (
    <span className={`status-badge s-${status}`} title={derived ? 'derived from its node-runs' : undefined}>
      {status}
      {derived ? '*' : ''}
    </span>
  );
}

const RUN_ROW = 22;

/** The runs table's columns: their widths are set on these (the table's layout is fixed), never by the rows on screen. */
const RUN_COLUMNS: ReadonlyArray<{ key: SortKey; label: string; col: string }> = [
  { key: 'run_id', label: 'Run', col: 'col-run' },
  { key: 'status', label: 'Status', col: 'col-status' },
  { key: 'workflow_id', label: 'Workflow', col: 'col-workflow' },
  { key: 'started_at', label: 'Started', col: 'col-started' },
  { key: 'duration', label: 'Duration', col: 'col-duration' },
  { key: 'event_count', label: 'Events', col: 'col-event_count' },
];

/** Run ids in natural order: run-2 before run-10. */
const runIdOrder = new Intl.Collator('en', { numeric: true }).compare;

/** Sorts runs by a column (Run by its id, in natural order); memoised by the caller, so a key move never sorts again. */
export function sortRuns(runs: readonly RunProjection[], status: string, key: SortKey, dir: 1 | -1): RunProjection[] {
  const dur = (r: RunProjection) => (r.started_at && r.ended_at ? Date.parse(r.ended_at) - Date.parse(r.started_at) : -1);
  const kept = runs.filter((r) => !status || r.status === status);
  if (key === 'run_id') return kept.sort((a, b) => runIdOrder(a.run_id, b.run_id) * dir);
  const keyed = kept.map((r) => ({ r, v: key === 'duration' ? dur(r) : (r[key] ?? '') }));
  keyed.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) * dir);
  return keyed.map((k) => k.r);
}

export function RunsPanel({ onHide }: { onHide?: () => void }) {
  const store = useAppStore();
  const runs = useApp((s) => s.runs);
  const driftRuns = useApp((s) => s.driftRuns);
  const selected = useApp((s) => s.runDetail?.run.run_id);
  const selectRun = useApp((s) => s.selectRun);
  const [status, setStatus] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'run_id', dir: 1 });
  const [active, setActive] = useState(0);
  const scroll = useRef<HTMLDivElement>(null);
  const list = useMemo(() => sortRuns(runs ?? [], status, sort.key, sort.dir), [runs, status, sort]);
  const virtual = useVirtualizer({ count: list.length, getScrollElement: () => scroll.current, estimateSize: () => RUN_ROW, overscan: 10 });
  const head = ({ key, label, col }: (typeof RUN_COLUMNS)[number]) => (
    <th key={key} className={`${col}${sort.key === key ? ' sorted' : ''}`} aria-sort={sort.key === key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
      <button className="sort" onClick={() => setSort((s) => ({ key, dir: s.key === key ? (-s.dir as 1 | -1) : 1 }))}>
        {label}
        {sort.key === key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const r of runs ?? []) c[r.status] = (c[r.status] ?? 0) + 1;
    return c;
  }, [runs]);
  const focusRow = (i: number) => {
    const k = Math.max(0, Math.min(list.length - 1, i));
    setActive(k);
    virtual.scrollToIndex(k);
    // At once when the row is on screen, so quick key presses count from it; else once it renders.
    const row = () => scroll.current?.querySelector<HTMLElement>(`tr[data-index="${k}"]`);
    const now = row();
    if (now) now.focus();
    else requestAnimationFrame(() => row()?.focus());
  };
  const onKey = (e: React.KeyboardEvent, i: number, r: RunProjection) => {
    const page = Math.max(1, Math.floor((scroll.current?.clientHeight ?? 200) / RUN_ROW) - 1);
    const moves: Record<string, number> = { ArrowDown: i + 1, ArrowUp: i - 1, PageDown: i + page, PageUp: i - page, Home: 0, End: list.length - 1 };
    if (e.key in moves) focusRow(moves[e.key]!);
    else if (e.key === 'Enter') void selectRun(r.run_id);
    else if (e.key.toLowerCase() === 'r' && !e.ctrlKey && !e.metaKey && !e.altKey) void store.getState().openReplay(r.run_id);
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  const items = virtual.getVirtualItems();
  const before = items[0]?.start ?? 0;
  const after = virtual.getTotalSize() - (items.at(-1)?.end ?? 0);
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
        {onHide && (
          <button onClick={onHide} aria-label="Hide the runs panel" title="Hide the runs panel" data-testid="hide-runs">
            ‹
          </button>
        )}
      </header>
      <div className="runs-scroll" ref={scroll}>
        <table className="runs" aria-rowcount={list.length + 1}>
          <colgroup>
            {RUN_COLUMNS.map(({ key, col }) => (
              <col key={key} className={col} />
            ))}
          </colgroup>
          <thead>
            <tr>{RUN_COLUMNS.map(head)}</tr>
          </thead>
          <tbody>
            {before > 0 && <tr aria-hidden="true" style={{ height: before }} />}
            {items.map((item) => {
              const r = list[item.index]!;
              const took = formatDuration(r.started_at, r.ended_at);
              return (
                <tr
                  key={r.run_id}
                  data-index={item.index}
                  aria-rowindex={item.index + 2}
                  tabIndex={item.index === Math.min(active, list.length - 1) ? 0 : -1}
                  className={`${r.status === 'failed' ? 'failed' : ''}${r.run_id === selected ? ' selected' : ''}`}
                  aria-selected={r.run_id === selected}
                  onClick={() => (setActive(item.index), void selectRun(r.run_id))}
                  onKeyDown={(e) => onKey(e, item.index, r)}
                  data-run={r.run_id}
                  style={{ height: RUN_ROW }}
                >
                  <td title={r.run_id}>{r.run_id}</td>
                  <td>
                    <StatusBadge status={r.status} derived={r.status_derived} />
                    {driftRuns?.[r.run_id] ? (
                      <span className="drift-mark" title={`${driftRuns[r.run_id]} difference(s) from the stored runs/node_runs tables`} data-testid="run-drift">
                        drift
                      </span>
                    ) : null}
                  </td>
                  <td className="col-workflow" title={`${r.workflow_id ?? ''} ${r.version ?? ''}`}>
                    {r.workflow_id ?? ''} <span className="muted">{r.version ?? ''}</span>
                  </td>
                  <td className="col-started">{short(r.started_at)}</td>
                  <td title={took}>{took}</td>
                  <td className="num" title={n(r.event_count)}>{n(r.event_count)}</td>
                </tr>
              );
            })}
            {after > 0 && <tr aria-hidden="true" style={{ height: after }} />}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function driftFor(drift: DriftRow[] | null, key: string) {
  return drift?.filter((d) => d.key === key) ?? [];
}

export function NodeRunsTable({ nodes, drift, changed }: { nodes: NodeRunProjection[]; drift?: DriftRow[] | null; changed?: Set<string> }) {
  return (
    // Its own sideways scroll (focusable, so keys scroll it too): a narrow side panel cuts no column.
    <div className="node-runs-scroll" role="region" aria-label="Node-runs" tabIndex={0}>
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
    </div>
  );
}

/** An ISO time that wraps, where it must, between its date and its time. */
export const IsoTime = ({ time }: { time: string }) => (
  <>
    {time.slice(0, 11)}
    <wbr />
    {time.slice(11)}
  </>
);

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
                {v === null ? <span className="null">—</span> : k === 'status' ? <StatusBadge status={String(v)} /> : k.endsWith('_at') ? <IsoTime time={String(v)} /> : String(v)}
                {dd && <span className="drift-mark"> stored: {JSON.stringify(dd.stored)}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function RunDetailPane() {
  const store = useAppStore();
  const detail = useApp((s) => s.runDetail);
  const openReplay = useApp((s) => s.openReplay);
  const setQuery = useApp((s) => s.setQuery);
  if (!detail) return <div className="detail empty">Select a run in the runs panel.</div>;
  const { run, node_runs, drift } = detail;
  const missing = drift?.filter((d) => d.field === 'row') ?? [];
  return (
    <div className="run-detail" data-testid="run-detail">
      <header>
        <strong title={run.run_id}>{run.run_id}</strong>
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
      <Gantt nodes={node_runs} onPick={(nr) => void store.getState().goToOffset(nr.first_offset)} />
      <NodeRunsTable nodes={node_runs} drift={drift} />
      {drift && (
        <p className="muted" data-testid="drift-summary">
          {drift.length ? `${drift.length} difference(s) from the stored runs/node_runs tables${missing.length ? `, ${missing.length} row(s) on one side only` : ''}` : 'Stored runs/node_runs tables agree with the events.'}
        </p>
      )}
    </div>
  );
}
