// Exports from the window: a snapshot or a JSONL store, of the whole ledger, the
// current filter or the ledger as of the replay step; with progress and cancel.
import { useEffect, useState } from 'react';
import { useApp, useAppStore } from '../lib/use-app.tsx';
import { canBrowse, chooseExportPath } from '../lib/shell.ts';
import { folderOf } from '../lib/store.ts';
import { Modal } from './Modal.tsx';

export function ExportDialog() {
  const store = useAppStore();
  const info = useApp((s) => s.info);
  const query = useApp((s) => s.query);
  const total = useApp((s) => s.total);
  const replay = useApp((s) => s.replay);
  const jobs = useApp((s) => s.jobs);
  const st = store.getState();
  const [kind, setKind] = useState<'snapshot' | 'jsonl'>('snapshot');
  const filtered = Object.keys(query).length > 0;
  const [scope, setScope] = useState<'all' | 'filter' | 'replay'>(filtered ? 'filter' : 'all');
  const [dest, setDest] = useState('');
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [resolved, setResolved] = useState<{ path: string } | null>(null);
  // The destination as it will be written: absolute, ~ expanded.
  const resolveDest = useApp((s) => s.resolveDest);
  useEffect(() => {
    setError(null);
    const d = dest.trim();
    if (!d) return setResolved(null);
    let live = true;
    resolveDest(d).then(
      (r) => live && setResolved(r),
      () => live && setResolved(null),
    );
    return () => {
      live = false;
    };
  }, [dest, resolveDest]);
  if (!info) return null;
  // The native save dialog (desktop app only); its failure shows on the dialog's error line.
  const browse = () =>
    chooseExportPath(kind).then(
      (p) => p && setDest(p),
      (e: Error) => setError(e.message),
    );
  const replayOffset = replay?.at?.event?.offset;
  // A snapshot of a filter keeps its runs; other conditions need the JSONL export.
  const filterOk = kind === 'jsonl' || (filtered && Object.keys(query).every((k) => k === 'runs'));
  const job = Object.values(jobs).find((j) => j.method === (kind === 'snapshot' ? 'snapshot' : 'exportJsonl'));
  const go = async (e: React.FormEvent) => {
    e.preventDefault();
    setRunning(true);
    setError(null);
    const target = await st.resolveDest(dest.trim()).catch((x: Error) => x);
    if (target instanceof Error) {
      setRunning(false);
      return setError(target.message);
    }
    const failure = await st.runExport(kind, scope, target.path);
    setRunning(false);
    if (failure === null) st.setExportOpen(false);
    else setError(failure);
  };
  return (
    <Modal label="Export" className="export" testid="export-dialog" onSubmit={go} closable={!running} onClose={() => st.setExportOpen(false)}>
        <h2>Export</h2>
        <fieldset>
          <label><input type="radio" checked={kind === 'snapshot'} onChange={() => setKind('snapshot')} /> SQLite snapshot (a new ledger file)</label>
          <label><input type="radio" checked={kind === 'jsonl'} onChange={() => setKind('jsonl')} /> JSONL store (a new folder, one file per run)</label>
        </fieldset>
        <fieldset>
          <label><input type="radio" checked={scope === 'all'} onChange={() => setScope('all')} /> the whole ledger ({info.events.toLocaleString('en-US')} events)</label>
          <label className={filtered && filterOk ? '' : 'disabled'}>
            <input type="radio" disabled={!filtered || !filterOk} checked={scope === 'filter'} onChange={() => setScope('filter')} data-testid="scope-filter" /> the current filter ({filtered ? `${total.toLocaleString('en-US')} events` : 'none set'})
            {filtered && !filterOk ? ' — a snapshot keeps whole runs; choose JSONL for other filters' : ''}
          </label>
          <label className={kind === 'snapshot' && replayOffset !== undefined ? '' : 'disabled'}>
            <input type="radio" disabled={kind !== 'snapshot' || replayOffset === undefined} checked={scope === 'replay'} onChange={() => setScope('replay')} /> the ledger as of the replay step{replayOffset !== undefined ? ` (up to offset ${replayOffset})` : ''}
          </label>
        </fieldset>
        <label>
          {kind === 'snapshot' ? 'New file' : 'New (or empty) folder'}
          <span className="dest-row">
            <input value={dest} onChange={(e) => setDest(e.target.value)} placeholder={kind === 'snapshot' ? '~/snapshot.db' : '~/exported'} data-testid="export-dest" spellCheck={false} autoFocus />
            {canBrowse() && <button type="button" disabled={running} onClick={browse} data-testid="export-browse">Browse…</button>}
          </span>
        </label>
        <p className="muted dest-resolved" data-testid="export-resolved">
          {resolved ? `Writes ${resolved.path}` : `A relative path is taken from ${folderOf(info.path)}; ~ is your home folder.`}
        </p>
        {error && (
          <p className="dialog-error" role="alert" data-testid="export-error">
            {error}
          </p>
        )}
        {running && (
          <div className="job" data-testid="export-progress">
            <progress max={1} value={job && job.total ? job.done / job.total : 0} />
            <span>{job && job.total ? `${Math.round((job.done / job.total) * 100)}%` : 'starting…'}</span>
            <button type="button" onClick={() => job && st.cancelJob(job.id)} data-testid="export-cancel">Cancel</button>
          </div>
        )}
        <div className="modal-actions">
          <button type="button" disabled={running} onClick={() => st.setExportOpen(false)}>Close</button>
          <button type="submit" className="primary" disabled={running || !dest.trim() || (scope === 'filter' && !filterOk)} data-testid="export-go">Export</button>
        </div>
    </Modal>
  );
}
