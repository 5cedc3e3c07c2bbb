import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { DetailPane } from './components/DetailPane.tsx';
import { EventList } from './components/EventList.tsx';
import { GotoDialog } from './components/GotoDialog.tsx';
import { ExportDialog } from './components/ExportDialog.tsx';
import { MappingEditor } from './components/MappingEditor.tsx';
import { FilterBar } from './components/FilterBar.tsx';
import { Histogram } from './components/Histogram.tsx';
import { ReplayPanel } from './components/ReplayPanel.tsx';
import { RunDetailPane, RunsPanel } from './components/Runs.tsx';
import { Toolbar } from './components/Toolbar.tsx';
import type { MappingStore } from './lib/mapping-store.ts';
import type { LedgerInfo } from '../shared/contract.ts';
import type { AppStore } from './lib/store.ts';
import { bridge } from './lib/transport.ts';

function useDark(theme: 'light' | 'dark' | 'system'): boolean {
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const [systemDark, setSystemDark] = useState(media.matches);
  useEffect(() => {
    const on = () => setSystemDark(media.matches);
    media.addEventListener('change', on);
    return () => media.removeEventListener('change', on);
  }, [media]);
  return theme === 'dark' || (theme === 'system' && systemDark);
}

export function App({ store, mapping }: { store: AppStore; mapping: MappingStore }) {
  const info = useStore(store, (s) => s.info);
  const error = useStore(store, (s) => s.error);
  const opening = useStore(store, (s) => s.opening);
  const notice = useStore(store, (s) => s.notice);
  const detailOpen = useStore(store, (s) => s.detailOpen);
  const gotoOpen = useStore(store, (s) => s.gotoOpen);
  const exportOpen = useStore(store, (s) => s.exportOpen);
  const panel = useStore(store, (s) => s.panel);
  const hasRun = useStore(store, (s) => s.runDetail !== null);
  const hasReplay = useStore(store, (s) => s.replay !== null);
  const [runsOpen, setRunsOpen] = useState(true);
  const selected = useStore(store, (s) => s.selected);
  const total = useStore(store, (s) => s.total);
  const theme = useStore(store, (s) => s.theme);
  const dark = useDark(theme);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'g') {
        e.preventDefault();
        if (store.getState().info) store.getState().setGotoOpen(true);
      }
      // Back and forward through earlier views (filters and place), as in a browser.
      if (e.altKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
        e.preventDefault();
        if (e.key === 'ArrowLeft') window.history.back();
        else window.history.forward();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  const onDrop = (e: React.DragEvent) => {
    e.preventDefault();
    const file = e.dataTransfer.files[0];
    if (!file) return;
    const b = bridge();
    if (b) void store.getState().open(b.pathForFile(file));
    else store.getState().setNotice('Dropping a file works in the desktop app; here, type its path in the box above.');
  };

  return (
    <div className={`app ${dark ? 'dark' : 'light'}`} onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <Toolbar store={store} mapping={mapping} />
      {error && (
        <div className="error-banner" role="alert" data-testid="error">
          <strong>Could not open {error.path ?? 'the ledger'}</strong>
          <span>{error.message}</span>
          {error.code === 'unrecognised' && error.path && (
            <button className="primary" onClick={() => void mapping.getState().start(error.path!).then(() => store.setState({ error: null }))} data-testid="map-columns">
              Map columns…
            </button>
          )}
          <button onClick={() => store.setState({ error: null })}>Dismiss</button>
        </div>
      )}
      {info && <FilterBar store={store} />}
      {info && <Histogram store={store} />}
      <main className={`split${detailOpen ? '' : ' no-detail'}${info && runsOpen ? ' with-runs' : ''}`}>
        {info && runsOpen && <RunsPanel store={store} />}
        {info ? (
          <EventList store={store} />
        ) : (
          <div className="empty-state">{opening ? `Opening ${opening}…` : 'Open a ledger: a SQLite file, a .jsonl file or a folder of them. Type its path above, or drop it on the window.'}</div>
        )}
        {info && detailOpen && (
          <section className="side">
            <nav className="tabs" role="tablist">
              <button role="tab" aria-selected={panel === 'event'} className={panel === 'event' ? 'active' : ''} onClick={() => store.getState().setPanel('event')}>Event</button>
              <button role="tab" aria-selected={panel === 'run'} className={panel === 'run' ? 'active' : ''} disabled={!hasRun} onClick={() => store.getState().setPanel('run')}>Run</button>
              <button role="tab" aria-selected={panel === 'replay'} className={panel === 'replay' ? 'active' : ''} disabled={!hasReplay} onClick={() => store.getState().setPanel('replay')} data-testid="replay-tab">Replay</button>
              <span className="spacer" />
              <button onClick={() => setRunsOpen((x) => !x)} title="Show or hide the runs panel">{runsOpen ? 'Hide runs' : 'Show runs'}</button>
            </nav>
            {panel === 'event' && <DetailPane store={store} dark={dark} />}
            {panel === 'run' && <RunDetailPane store={store} />}
            {panel === 'replay' && <ReplayPanel store={store} />}
          </section>
        )}
      </main>
      <footer className="status">
        <span data-testid="status">{info ? `${selected === null ? '-' : (selected + 1).toLocaleString('en-US')} / ${totalText(total, info.indexing)}` : ''}</span>
        {notice && (
          <span className="notice" onClick={() => store.getState().setNotice(null)}>
            {notice}
          </span>
        )}
        <span className="spacer" />
        <span className="hint">↑↓ PgUp PgDn Home End · Ctrl+G go to offset · Alt+←/→ back/forward · replay: J/K or ←/→, space plays</span>
      </footer>
      {gotoOpen && <GotoDialog store={store} />}
      {exportOpen && <ExportDialog store={store} />}
      <MappingEditor mapping={mapping} />
    </div>
  );
}

/** The total, or while a JSONL store is indexed, its estimate and how far indexing got. */
function totalText(total: number, indexing: LedgerInfo['indexing']): string {
  if (!indexing) return total.toLocaleString('en-US');
  return `≈${Math.max(total, indexing.estimated_events).toLocaleString('en-US')}, indexing ${indexing.percent}%`;
}
