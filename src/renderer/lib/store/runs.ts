// Runs rebuilt from the ledger's events, one run's detail, and the replay of a run:
// its steps, play and speed, and the filter it took over (given back on close).
import type { Query } from '../../../shared/ledger.ts';
import type { ReplayPosition, RunDetail, RunProjection } from '../../../shared/projection.ts';
import { message, q, type Slice, type StoreContext } from './context.ts';
import { isCancelled } from './jobs.ts';

export interface Replay {
  id: string;
  runId: string;
  steps: number;
  at: ReplayPosition | null;
  /** The step asked for last: quick key presses count from it, not from the step shown. */
  target: number;
  playing: boolean;
  /** Steps per second while playing. */
  speed: number;
}

const RUNS_RESET = {
  runs: null as RunProjection[] | null,
  driftRuns: null as Record<string, number> | null,
  runDetail: null as RunDetail | null,
  replay: null as Replay | null,
  beforeReplay: null as { query: Query; offset: number | null } | null,
};

export interface RunsSlice {
  runs: RunProjection[] | null;
  /** Runs whose rebuilt state differs from the ledger's stored tables: run_id -> differences. */
  driftRuns: Record<string, number> | null;
  runDetail: RunDetail | null;
  replay: Replay | null;
  /** The filter and place before a replay took the list over, given back when it closes. */
  beforeReplay: { query: Query; offset: number | null } | null;

  loadRuns(): Promise<void>;
  selectRun(runId: string): Promise<void>;
  openReplay(runId: string, opts?: { step?: number }): Promise<void>;
  replayTo(step: number): Promise<void>;
  replayFind(target: { kind?: string; failure?: boolean; node?: string }, dir: 1 | -1): Promise<void>;
  setPlaying(playing: boolean): void;
  setSpeed(speed: number): void;
  closeReplay(): void;
  /** Back to no ledger (play stopped): used by open and close alike. */
  resetRuns(): void;
}

export const createRunsSlice =
  ({ client, reportUi }: StoreContext): Slice<RunsSlice> =>
  (set, get) => {
    let playTimer: ReturnType<typeof setInterval> | null = null;
    return {
      ...RUNS_RESET,

      async loadRuns() {
        const info = get().info;
        if (!info) return;
        try {
          const runs = await client.runs({ ledger: info.ledger });
          if (get().info?.ledger === info.ledger) set({ runs });
          const drift = await client.drift({ ledger: info.ledger });
          const driftRuns: Record<string, number> = {};
          for (const d of drift ?? []) driftRuns[d.run_id] = (driftRuns[d.run_id] ?? 0) + 1;
          if (get().info?.ledger === info.ledger) set({ driftRuns: drift ? driftRuns : null });
        } catch (e) {
          if (!isCancelled(e)) set({ notice: `runs: ${message(e)}` });
        }
      },

      async selectRun(runId) {
        const info = get().info;
        if (!info) return;
        try {
          const runDetail = await client.run({ ledger: info.ledger, run_id: runId });
          set({ runDetail, panel: 'run', detailOpen: true });
        } catch (e) {
          set({ notice: message(e) });
        }
      },

      async openReplay(runId, opts) {
        const info = get().info;
        if (!info) return;
        get().setPlaying(false);
        try {
          const { replay, steps } = await client.replayOpen({ ledger: info.ledger, run_id: runId });
          const before = get().beforeReplay ?? { query: get().query, offset: get().detail?.offset ?? null };
          set({ replay: { id: replay, runId, steps, at: null, target: 0, playing: false, speed: 4 }, panel: 'replay', detailOpen: true, beforeReplay: before });
          // The list shows the run being replayed, so each step's event is in it.
          if (JSON.stringify(get().query) !== JSON.stringify({ runs: [runId] })) await get().setQuery({ runs: [runId] });
          // A step the keyboard asked for meanwhile (the panel shows, with Play focused, while the list changes) is kept.
          await get().replayTo(opts?.step ?? get().replay?.target ?? 0);
        } catch (e) {
          set({ notice: message(e) });
        }
      },

      async replayTo(step) {
        const r = get().replay;
        const info = get().info;
        if (!r || !info) return;
        const k = Math.max(0, Math.min(r.steps, step));
        set({ replay: { ...r, target: k } });
        const at = await client.replayAt({ replay: r.id, step: k });
        // Answers to steps asked for before the latest one are stale.
        const now = get().replay;
        if (now?.id !== r.id || now.target !== k) return;
        set({ replay: { ...now, at } });
        if (at.event) {
          const { position, offset } = await client.locate({ ledger: info.ledger, query: q(get().query), offset: at.event.offset });
          if (offset === at.event.offset) get().select(position);
        }
        reportUi();
      },

      async replayFind(target, dir) {
        const r = get().replay;
        if (!r) return;
        const from = r.target;
        const step = await client.replayFind({ replay: r.id, from, dir, ...target });
        if (step === null) set({ notice: `No ${dir === 1 ? 'later' : 'earlier'} ${target.failure ? 'failure' : (target.kind ?? target.node ?? 'match')} in this run` });
        else await get().replayTo(step);
      },

      setPlaying(playing) {
        if (playTimer) clearInterval(playTimer);
        playTimer = null;
        const r = get().replay;
        if (!r) return;
        set({ replay: { ...r, playing } });
        if (!playing) return;
        playTimer = setInterval(() => {
          const cur = get().replay;
          if (!cur || !cur.playing) return;
          const next = cur.target + 1;
          if (next > cur.steps) return get().setPlaying(false);
          void get().replayTo(next);
        }, 1000 / r.speed);
      },

      setSpeed(speed) {
        const r = get().replay;
        if (!r) return;
        set({ replay: { ...r, speed } });
        if (r.playing) get().setPlaying(true);
      },

      closeReplay() {
        get().setPlaying(false);
        const before = get().beforeReplay;
        set({ replay: null, beforeReplay: null, panel: get().runDetail ? 'run' : 'event' });
        if (before) {
          void get()
            .setQuery(before.query)
            .then(() => (before.offset === null ? undefined : get().goToOffset(before.offset)));
        }
        reportUi();
      },

      resetRuns() {
        get().setPlaying(false);
        set(RUNS_RESET);
      },
    };
  };
