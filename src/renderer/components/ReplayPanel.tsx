// The replay stepper: one run's state as of any step, what that step changed,
// and the ways to move: step, play, scrub, jump, next failure, kind or node.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useApp, useAppStore } from '../lib/use-app.tsx';
import type { NodeRunProjection, ReplayPosition, RunProjection } from '../../shared/projection.ts';
import { parseLossless } from '../lib/json-source.ts';
import { kindColor, statusClass } from '../lib/kinds.ts';
import { useLedgerRules } from '../lib/ledger-rules.ts';
import { CheckpointState } from './CheckpointState.tsx';
import { JsonTree } from './JsonTree.tsx';
import { Gantt } from './Gantt.tsx';
import { IsoTime, NodeRunsTable, RunFields } from './Runs.tsx';

const SPEEDS = [1, 4, 16, 64, 256];

/**
 * J/K, the arrows and space step the open replay whichever tab shows, unless focus
 * is in a text field or a control that uses the arrows itself; Alt+arrows stay history.
 */
export function useReplayKeys() {
  const store = useAppStore();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const r = store.getState().replay;
      if (!r || e.altKey || e.ctrlKey || e.metaKey) return;
      const el = e.target as HTMLElement;
      if (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable) return;
      if (el.closest('[role="dialog"], [role="menu"]')) return;
      // The list, the runs table and the splitters use the arrows and space themselves; J and K still step.
      // A button takes space only (it presses it): the arrows step from the replay's own buttons.
      const ownArrows = !!el.closest('[role="grid"], table.runs, [role="separator"], [role="tree"], input[type="range"]');
      if (ownArrows && !['j', 'k'].includes(e.key.toLowerCase())) return;
      if (e.key === ' ' && el.closest('button')) return;
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
}

const show = (v: unknown) => (v === null || v === undefined ? '—' : String(v));

type Change = { field: string; old: string; now: string };

/** A value as the diff shows it: a time may break between its date and its time of day. */
const Value = ({ field, value }: { field: string; value: string }) => (field.endsWith('_at') && value !== '—' ? <IsoTime time={value} /> : value);

/**
 * Old -> new for every run field and node-run the step changed, as Redux DevTools' diff
 * shows it: a group for the run and for each node-run, then the field and its change in
 * two fixed columns. Four columns in the side pane squeezed a status or an id into a few
 * characters a line; two leave room for any word but a long error's.
 */
function StepDiff({ at }: { at: ReplayPosition }) {
  const groups: Array<{ of: string; changes: Change[] }> = [];
  const run = at.state.run;
  if (run && at.changed.run.length) groups.push({ of: 'run', changes: at.changed.run.map((f) => ({ field: f, old: show(at.before.run?.[f as keyof RunProjection]), now: show(run[f as keyof RunProjection]) })) });
  for (const id of at.changed.node_runs) {
    const now = at.state.node_runs.find((n) => n.node_run_id === id);
    if (!now) continue;
    const old = at.before.node_runs.find((n) => n.node_run_id === id);
    const changes = !old
      ? [{ field: '(new node-run)', old: '—', now: now.status }]
      : (Object.keys(now) as Array<keyof NodeRunProjection>).filter((f) => old[f] !== now[f]).map((f) => ({ field: f, old: show(old[f]), now: show(now[f]) }));
    if (changes.length) groups.push({ of: `${now.node_id} #${now.attempt}`, changes });
  }
  if (!groups.length) return <p className="muted">This step changed no run field and no node-run.</p>;
  return (
    <table className="diff" data-testid="replay-diff">
      <colgroup>
        <col className="d-field" />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">field</th>
          <th scope="col">before → after</th>
        </tr>
      </thead>
      {groups.map((g) => (
        <tbody key={g.of} data-of={g.of}>
          <tr>
            <th scope="rowgroup" colSpan={2} title={g.of}>
              {g.of}
            </th>
          </tr>
          {g.changes.map((c) => (
            <tr key={c.field}>
              <th scope="row">{c.field}</th>
              <td>
                <span className="old">
                  <Value field={c.field} value={c.old} />
                </span>{' '}
                →{' '}
                <span className="new">
                  <Value field={c.field} value={c.now} />
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      ))}
    </table>
  );
}

export function ReplayPanel() {
  const store = useAppStore();
  const replay = useApp((s) => s.replay);
  const layout = useApp((s) => s.info?.layout);
  const rules = useLedgerRules();
  const kinds = useApp((s) => s.facets.kind);
  const st = store.getState();
  const [jump, setJump] = useState('');
  const [seek, setSeek] = useState('');
  const event = replay?.at?.event ?? null;
  const tree = useMemo(() => (event ? parseLossless(event.payload) : null), [event]);
  // Opened, the replay has the keyboard: space presses Play, the arrows step.
  const playRef = useRef<HTMLButtonElement>(null);
  const runId = replay?.runId;
  useEffect(() => {
    if (runId) playRef.current?.focus();
  }, [runId]);

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
        <strong>Replay</strong> <span className="muted" title={replay.runId}>{replay.runId}</span>
        <span className="spacer" />
        <button
          onClick={() => {
            st.closeReplay();
            // Back to the button that opened it, where the keyboard was (the run's detail shows again).
            requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-testid="replay-button"]')?.focus());
          }}
        >
          Close
        </button>
      </header>
      <div className="replay-controls">
        <button onClick={() => void st.replayTo(0)} title="First step (step 0: before the first event)">|◀</button>
        <button onClick={() => void st.replayTo(target - 1)} title="Step back (←, K)" data-testid="step-back">◀</button>
        <button onClick={() => st.setPlaying(!replay.playing)} title="Play / pause (space)" data-testid="play" ref={playRef}>{replay.playing ? 'Pause' : 'Play'}</button>
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
        <section className="replay-event" data-testid="replay-event" aria-label={`The event of step ${step}`}>
          <p>
            <span className={`kind-badge ${statusClass(at.event.kind, rules)}`} style={{ borderColor: kindColor(at.event.kind, rules) }}>
              {at.event.kind}
            </span>{' '}
            <span className="muted">offset {at.event.offset}</span> <span>{at.event.actor ?? ''}</span> <span className="muted">{at.event.time}</span>
          </p>
          {tree && (tree.type === 'object' || tree.type === 'array') ? <JsonTree node={tree} expanded label={`Payload of step ${step}`} /> : <pre>{at.event.payload}</pre>}
        </section>
      )}
      {at && at.step > 0 && (
        <>
          <h3>what step {step} changed</h3>
          <StepDiff at={at} />
        </>
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
