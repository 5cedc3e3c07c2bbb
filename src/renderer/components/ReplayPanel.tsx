// The replay stepper: one run's state as of any step, what that step changed,
// and the ways to move: step, play, scrub, jump, next failure, kind or node.
import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { AppStore } from '../lib/store.ts';
import { CheckpointState } from './CheckpointState.tsx';
import { Gantt, NodeRunsTable, RunFields } from './Runs.tsx';

const SPEEDS = [1, 4, 16, 64, 256];

export function ReplayPanel({ store }: { store: AppStore }) {
  const replay = useStore(store, (s) => s.replay);
  const layout = useStore(store, (s) => s.info?.layout);
  const kinds = useStore(store, (s) => s.facets.kind);
  const st = store.getState();
  const [jump, setJump] = useState('');
  const [seek, setSeek] = useState('');

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const r = store.getState().replay;
      if (!r || store.getState().panel !== 'replay') return;
      const el = e.target as HTMLElement;
      if (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA') return;
      const step = r.target;
      const key = e.key.toLowerCase();
      if (key === 'arrowright' || key === 'j') store.getState().replayTo(step + 1);
      else if (key === 'arrowleft' || key === 'k') store.getState().replayTo(step - 1);
      else if (key === ' ') store.getState().setPlaying(!r.playing);
      else return;
      e.preventDefault();
      e.stopPropagation();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [store]);

  if (!replay) return <div className="detail empty">Open a run in replay from its run panel.</div>;
  const at = replay.at;
  const step = at?.step ?? 0;
  const target = replay.target;
  const changedRun = new Set(at?.changed.run);
  const changedNodes = new Set(at?.changed.node_runs);
  const nodes = [...new Set(at?.state.node_runs.map((nr) => nr.node_id))];
  return (
    <div className="replay" data-testid="replay">
      <header>
        <strong>Replay</strong> <span className="muted">{replay.runId}</span>
        <span className="spacer" />
        <button onClick={() => st.closeReplay()}>Close</button>
      </header>
      <div className="replay-controls">
        <button onClick={() => void st.replayTo(0)} title="First step (step 0: before the first event)">|◀</button>
        <button onClick={() => void st.replayTo(target - 1)} title="Step back (←, K)" data-testid="step-back">◀</button>
        <button onClick={() => st.setPlaying(!replay.playing)} title="Play / pause (space)" data-testid="play">{replay.playing ? 'Pause' : 'Play'}</button>
        <button onClick={() => void st.replayTo(target + 1)} title="Step forward (→, J)" data-testid="step-forward">▶</button>
        <button onClick={() => void st.replayTo(replay.steps)} title="Run to the end">▶|</button>
        <select value={replay.speed} onChange={(e) => st.setSpeed(Number(e.target.value))} aria-label="Speed">
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s} steps/s
            </option>
          ))}
        </select>
        <span className="step-label" data-testid="replay-step">
          step {step.toLocaleString('en-US')} / {replay.steps.toLocaleString('en-US')}
        </span>
      </div>
      <input className="scrubber" type="range" min={0} max={replay.steps} value={step} onChange={(e) => void st.replayTo(Number(e.target.value))} aria-label="Scrub through the run" data-testid="scrubber" />
      <div className="replay-jumps">
        <form onSubmit={(e) => (e.preventDefault(), jump && void st.replayTo(Number(jump)))}>
          <input placeholder="step" value={jump} onChange={(e) => setJump(e.target.value)} inputMode="numeric" data-testid="jump-input" />
          <button type="submit">Jump</button>
        </form>
        <button onClick={() => void st.replayFind({ failure: true }, -1)} title="Previous failure">◀ failure</button>
        <button onClick={() => void st.replayFind({ failure: true }, 1)} data-testid="next-failure">failure ▶</button>
        <select value={seek} onChange={(e) => setSeek(e.target.value)} aria-label="Kind or node to find">
          <option value="">kind or node…</option>
          <optgroup label="kinds">
            {(kinds ?? []).map((k) => (
              <option key={`k:${k.value}`} value={`k:${k.value}`}>
                {String(k.value)}
              </option>
            ))}
          </optgroup>
          <optgroup label="nodes">
            {nodes.map((id) => (
              <option key={`n:${id}`} value={`n:${id}`}>
                {id}
              </option>
            ))}
          </optgroup>
        </select>
        <button disabled={!seek} onClick={() => void st.replayFind(seek.startsWith('k:') ? { kind: seek.slice(2) } : { node: seek.slice(2) }, -1)}>◀</button>
        <button disabled={!seek} onClick={() => void st.replayFind(seek.startsWith('k:') ? { kind: seek.slice(2) } : { node: seek.slice(2) }, 1)}>▶</button>
      </div>
      {at?.event && (
        <p className="replay-event" data-testid="replay-event">
          <span className="muted">offset {at.event.offset}</span> <strong>{at.event.kind}</strong> <span className="muted">{at.event.time}</span>
        </p>
      )}
      {at?.event && layout === 'langgraph' && <CheckpointState event={at.event} />}
      {at?.state.run ? (
        <>
          <h3>run as of step {step}</h3>
          <RunFields run={at.state.run} changed={changedRun} />
          <h3>node-runs ({at.state.node_runs.length})</h3>
          <Gantt nodes={at.state.node_runs} changed={changedNodes} />
          <NodeRunsTable nodes={at.state.node_runs} changed={changedNodes} />
        </>
      ) : (
        <p className="muted">Step 0: the empty state, before the run's first event.</p>
      )}
    </div>
  );
}
