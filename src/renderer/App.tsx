import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { ConnectDialog } from './components/ConnectDialog.tsx';
import { ContextMenu } from './components/ContextMenu.tsx';
import { DetailPane } from './components/DetailPane.tsx';
import { EventList } from './components/EventList.tsx';
import { GotoDialog } from './components/GotoDialog.tsx';
import { ExportDialog } from './components/ExportDialog.tsx';
import { MappingEditor } from './components/MappingEditor.tsx';
import { FilterBar } from './components/FilterBar.tsx';
import { Histogram } from './components/Histogram.tsx';
import { ReplayPanel, useReplayKeys } from './components/ReplayPanel.tsx';
import { RunDetailPane, RunsPanel } from './components/Runs.tsx';
import { Splitter } from './components/Splitter.tsx';
import { Toolbar } from './components/Toolbar.tsx';
import type { ConnectStore } from './lib/connect-store.ts';
import type { MappingStore } from './lib/mapping-store.ts';
import type { LedgerInfo } from '../shared/contract.ts';
import { bridge } from './lib/transport.ts';
import { useApp, useAppStore } from './lib/use-app.tsx';

function useWindowWidth(): number {
  const [w, setW] = useState(window.innerWidth);
  useEffect(() => {
    const on = () => setW(window.innerWidth);
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, []);
  return w;
}

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

export function App({ mapping, connect }: { mapping: MappingStore; connect: ConnectStore }) {
  const connectShown = useStore(connect, (s) => s.shown);
  const store = useAppStore();
  const info = useApp((s) => s.info);
  const error = useApp((s) => s.error);
  const opening = useApp((s) => s.opening);
  const notice = useApp((s) => s.notice);
  const detailOpen = useApp((s) => s.detailOpen);
  const gotoOpen = useApp((s) => s.gotoOpen);
  const exportOpen = useApp((s) => s.exportOpen);
  const panel = useApp((s) => s.panel);
  const hasRun = useApp((s) => s.runDetail !== null);
  const hasReplay = useApp((s) => s.replay !== null);
  const panels = useApp((s) => s.panels);
  const runsOpen = panels.runsOpen;
  const followPaused = useApp((s) => s.followPaused);
  const newSincePause = useApp((s) => s.newSincePause);
  const exact = useApp((s) => s.exact);
  const updating = useApp((s) => s.updating);
  const width = useWindowWidth();
  // Fitted to the window until the user drags them: the list keeps the most room.
  // At 1280 px the runs panel is just wide enough for its four narrow columns whole.
  const runsWidth = panels.runsWidth ?? Math.round(Math.min(300, Math.max(248, width * 0.175)));
  const sideWidth = panels.sideWidth ?? Math.round(Math.min(420, Math.max(280, width * 0.218)));
  const selected = useApp((s) => s.selected);
  const total = useApp((s) => s.total);
  const theme = useApp((s) => s.theme);
  const dark = useDark(theme);
  useReplayKeys();

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
      <Toolbar mapping={mapping} connect={connect} />
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
      {info && <FilterBar />}
      {info && <Histogram />}
      <main
        className="split"
        style={{ gridTemplateColumns: `${info ? (runsOpen ? `${runsWidth}px` : 'auto') : ''} minmax(0, 1fr) ${info && detailOpen ? `${sideWidth}px` : ''}` }}
      >
        {info &&
          (runsOpen ? (
            <div className="runs-wrap">
              <RunsPanel onHide={() => store.getState().setPanels({ runsOpen: false })} />
              <Splitter label="Resize the runs panel" value={runsWidth} min={180} max={Math.max(240, width - 700)} onChange={(w, save) => store.getState().setPanels({ runsWidth: w }, save)} side="right" />
            </div>
          ) : (
            <button className="runs-collapsed" onClick={() => store.getState().setPanels({ runsOpen: true })} aria-label="Show the runs panel" data-testid="show-runs">
              Runs ›
            </button>
          ))}
        {info ? (
          <EventList />
        ) : (
          <div className="empty-state">{opening ? `Opening ${opening}…` : 'Open a ledger: a SQLite file, a .jsonl file or a folder of them. Type its path above, or drop it on the window.'}</div>
        )}
        {info && detailOpen && (
          <section className="side" aria-label="Details">
            <Splitter label="Resize the details panel" value={sideWidth} min={280} max={Math.max(320, width - 600)} onChange={(w, save) => store.getState().setPanels({ sideWidth: w }, save)} side="left" />
            <nav className="tabs" role="tablist">
              <button role="tab" aria-selected={panel === 'event'} className={panel === 'event' ? 'active' : ''} onClick={() => store.getState().setPanel('event')}>Event</button>
              <button role="tab" aria-selected={panel === 'run'} className={panel === 'run' ? 'active' : ''} disabled={!hasRun} onClick={() => store.getState().setPanel('run')}>Run</button>
              <button role="tab" aria-selected={panel === 'replay'} className={panel === 'replay' ? 'active' : ''} disabled={!hasReplay} onClick={() => store.getState().setPanel('replay')} data-testid="replay-tab">Replay</button>
            </nav>
            {panel === 'event' && <DetailPane />}
            {panel === 'run' && <RunDetailPane />}
            {panel === 'replay' && <ReplayPanel />}
          </section>
        )}
      </main>
      <footer className="status">
        <span data-testid="status">{info ? `${selected === null ? '-' : (selected + 1).toLocaleString('en-US')} / ${totalText(total, exact, info.indexing)}${updating ? ' (updating…)' : ''}` : ''}</span>
        {followPaused && (
          <button className="follow-paused" onClick={() => store.getState().resumeFollow()} data-testid="follow-resume">
            {newSincePause.toLocaleString('en-US')} new event{newSincePause === 1 ? '' : 's'} - jump to latest
          </button>
        )}
        <span className="notice" role="status" aria-live="polite" data-testid="notice">
          {notice && (
            <>
              {notice}
              <button className="notice-dismiss" onClick={() => store.getState().setNotice(null)} aria-label="Dismiss the notice">
                ×
              </button>
            </>
          )}
        </span>
        <span className="spacer" />
        <span className="hint">↑↓ PgUp PgDn Home End · Ctrl+G go to offset · Alt+←/→ back/forward · B mark, [ ] marks · replay: J/K or ←/→, space plays</span>
      </footer>
      {gotoOpen && <GotoDialog />}
      {exportOpen && <ExportDialog />}
      {connectShown && <ConnectDialog connect={connect} />}
      <ContextMenu />
      <MappingEditor mapping={mapping} />
    </div>
  );
}

/** The total (≈ while a filter is still counted), or while a JSONL store is indexed, its estimate and how far indexing got. */
function totalText(total: number, exact: boolean, indexing: LedgerInfo['indexing']): string {
  if (!indexing) return `${exact ? '' : '≈'}${total.toLocaleString('en-US')}`;
  return `≈${Math.max(total, indexing.estimated_events).toLocaleString('en-US')}, indexing ${indexing.percent}%`;
}
