// The top bar: what is open, a path box to open another ledger, running jobs.
import { useEffect, useState } from 'react';
import { useApp, useAppStore } from '../lib/use-app.tsx';
import type { ConnectStore } from '../lib/connect-store.ts';
import type { MappingStore } from '../lib/mapping-store.ts';

const n = (x: number) => x.toLocaleString('en-US');

export function Toolbar({ mapping, connect }: { mapping: MappingStore; connect: ConnectStore }) {
  const store = useAppStore();
  const info = useApp((s) => s.info);
  const opening = useApp((s) => s.opening);
  const open = useApp((s) => s.open);
  const follow = useApp((s) => s.follow);
  const [path, setPath] = useState('');
  const error = useApp((s) => s.error);
  // The box shows what is open: after a failed open too (the banner names the bad path).
  useEffect(() => setPath(info?.path ?? ''), [info?.path, error]);
  return (
    <header className="toolbar">
      <strong className="brand">Ledger Inspector</strong>
      <form
        className="open-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (path.trim()) void open(path.trim());
        }}
      >
        <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="Path of a ledger file or JSONL folder, or a postgres:// URL" aria-label="Ledger path" data-testid="path-input" spellCheck={false} />
        <button type="submit" disabled={!!opening}>{opening ? 'Opening…' : 'Open'}</button>
        <button type="button" onClick={() => connect.getState().show()} title="Open a ledger table in a PostgreSQL database" data-testid="connect-open">Connect…</button>
      </form>
      {info && (
        <>
          <span className="ledger-meta" data-testid="ledger-meta">
            <span className="layout">{info.layout}</span>
            {info.mapping.how !== 'layout' && <span className="mapping-how"> ({info.mapping.how} mapping of {info.mapping.mapping?.table})</span>}{' '}
            {/* While a JSONL store is indexed, the count so far would understate it: the estimate, as the status bar gives. */}
            {info.indexing ? `≈${n(Math.max(info.events, info.indexing.estimated_events))} events` : `${n(info.events)} events`}
          </span>
          {info.layout === 'mapped' ? (
            <button onClick={() => void mapping.getState().start(info.path)} data-testid="mapping-open" title="Change which columns hold the events, and the ledger's own rules">
              Mapping…
            </button>
          ) : (
            <button onClick={() => void mapping.getState().start(info.path, { rulesOnly: true })} data-testid="rules-open" title="The ledger's own rules for reading its kinds">
              Rules…
            </button>
          )}
          <label className={`follow${follow ? ' on' : ''}`} title="Keep the newest event in view as the ledger grows, like tail -f">
            <input type="checkbox" checked={follow} onChange={(e) => void store.getState().setFollow(e.target.checked)} data-testid="follow" /> Follow
          </label>
          <button onClick={() => store.getState().setExportOpen(true)} data-testid="export-open">Export…</button>
        </>
      )}
      <Jobs />
    </header>
  );
}

function Jobs() {
  const jobs = useApp((s) => s.jobs);
  const cancel = useApp((s) => s.cancelJob);
  const list = Object.values(jobs);
  if (!list.length) return null;
  return (
    <div className="jobs">
      {list.map((j) => {
        const pct = j.total ? Math.min(100, (j.done / j.total) * 100) : 0;
        return (
          <div className="job" key={j.id} data-testid="job">
            <span>{j.method}</span>
            <progress max={100} value={pct} />
            <span>{pct.toFixed(0)}%</span>
            <button onClick={() => cancel(j.id)}>Cancel</button>
          </div>
        );
      })}
    </div>
  );
}
