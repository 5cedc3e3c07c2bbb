// Replay of one run: the state after any step, with what that step changed.
// Checkpoints of the folded state every N steps bound the work of any jump to N events.
// Opening only counts the run: its offsets and checkpoints are folded afterwards, a
// chunk at a time between calls, so the first step shows at once; a jump past what is
// folded so far folds up to it first.
import { LedgerError } from '../../../shared/errors.ts';
import type { LedgerEvent, Query } from '../../../shared/ledger.ts';
import {
  applyEvent,
  diffStates,
  emptyRun,
  nodeOf,
  type ReplayPosition,
  type RunState,
} from '../../../shared/projection.ts';
import type { JobControl } from '../base/jobs.ts';
import type { LedgerReader } from '../read/reader.ts';

/** What "the next event matching" means: a kind, a failure, a node. */
export interface ReplayTarget {
  kind?: string;
  failure?: boolean;
  node?: string;
}

const MIN_INTERVAL = 256;
const MAX_CHECKPOINTS = 2048;
/** Events folded per turn of the event loop in the background: a few ms, so calls in between wait little. */
const CHUNK = 2048;

export class Replay {
  readonly runId: string;
  readonly steps: number;
  private readonly ledger: LedgerReader;
  /** offsets[k - 1]: the offset of step k's event, known for the first `indexed` steps. */
  private readonly offsets: Float64Array;
  private readonly interval: number;
  /** checkpoints[j]: the state after step j * interval (null for step 0). */
  private readonly checkpoints: Array<RunState | null> = [null];
  /** The state after step `indexed`, which the next chunk continues from. */
  private folded: RunState | null = null;
  /** Steps whose offsets (and checkpoints) are known. */
  indexed = 0;
  private timer: NodeJS.Immediate | null = null;
  private stopped: unknown = null;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  position = 0;

  private constructor(ledger: LedgerReader, runId: string, steps: number) {
    this.ledger = ledger;
    this.runId = runId;
    this.steps = steps;
    this.offsets = new Float64Array(steps);
    this.interval = Math.max(MIN_INTERVAL, Math.ceil(steps / MAX_CHECKPOINTS));
  }

  /** Counts the run and starts folding it in the background; a run appended to later is replayed as it was. */
  static open(ledger: LedgerReader, runId: string, ctl: JobControl = {}): Replay {
    const count = ledger.count({ runs: [runId] }, ctl);
    if (!count) throw new LedgerError('not_found', `no run "${runId}" in this ledger`, ledger.path);
    const replay = new Replay(ledger, runId, count);
    replay.indexInBackground();
    return replay;
  }

  /** Resolves once every step is indexed; rejects if the build stopped first (closed, or the ledger went away). */
  whenIndexed(): Promise<void> {
    if (this.indexed === this.steps) return Promise.resolve();
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private indexInBackground(): void {
    if (this.indexed === this.steps) {
      for (const w of this.waiters.splice(0)) w.resolve();
      return;
    }
    // Between calls, not on a timer: each turn yields to whatever the event loop has waiting.
    // A caller done with the replay closes it, or its ledger, and the build stops.
    this.timer = setImmediate(() => {
      this.timer = null;
      try {
        this.indexTo(Math.min(this.steps, this.indexed + CHUNK));
      } catch (e) {
        return this.stop(e); // a later jump reports the same error
      }
      this.indexInBackground();
    });
  }

  private stop(why: unknown): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = null;
    this.stopped = why;
    for (const w of this.waiters.splice(0)) w.reject(why);
  }

  /** Stops the background index (a replay no longer shown); what is indexed still answers, and jumps index the rest. */
  close(): void {
    if (this.indexed < this.steps) this.stop(new LedgerError('cancelled', `the replay of run "${this.runId}" was closed`, this.ledger.path));
  }

  /** Folds the run's events up to step k (and no further than the run had at open), noting offsets and checkpoints. */
  private indexTo(k: number): void {
    const rules = this.ledger.rules;
    while (this.indexed < k) {
      const after = this.indexed ? this.offsets[this.indexed - 1] : undefined;
      const page = this.ledger.page({ query: { runs: [this.runId] }, after, limit: Math.min(10_000, Math.max(CHUNK, k - this.indexed)), payload: 'full' });
      if (!page.events.length) throw new LedgerError('source_changed', `run "${this.runId}" has fewer events than when its replay opened; reopen it`, this.ledger.path);
      for (const e of page.events) {
        if (this.indexed === this.steps) return; // appended since the count
        this.folded ??= emptyRun(e);
        applyEvent(this.folded, e, rules);
        this.offsets[this.indexed++] = e.offset;
        if (this.indexed % this.interval === 0) this.checkpoints.push(structuredClone(this.folded));
      }
    }
  }

  /** Indexes until the step of this offset is known, or the whole run is. */
  private indexPast(offset: number): void {
    while (this.indexed < this.steps && (this.indexed === 0 || this.offsets[this.indexed - 1]! < offset)) this.indexTo(Math.min(this.steps, this.indexed + CHUNK));
  }

  private events(fromStep: number, toStep: number): LedgerEvent[] {
    if (toStep < fromStep) return [];
    const q: Query = { runs: [this.runId], offset_from: this.offsets[fromStep - 1]!, offset_to: this.offsets[toStep - 1]! };
    return this.ledger.page({ query: q, limit: toStep - fromStep + 1, payload: 'full' }).events;
  }

  /** The position after step k (0..steps), and makes it current. */
  at(k: number): ReplayPosition {
    if (!Number.isInteger(k) || k < 0 || k > this.steps)
      throw new LedgerError('invalid_argument', `step ${k} is outside 0..${this.steps}`, this.ledger.path);
    this.position = k;
    this.indexTo(k);
    if (k === 0) return { step: 0, steps: this.steps, event: null, state: { run: null, node_runs: [] }, changed: { run: [], node_runs: [] }, before: { run: null, node_runs: [] } };
    const j = Math.floor((k - 1) / this.interval);
    const base = this.checkpoints[j]!;
    let s: RunState | null = base && structuredClone(base);
    const events = this.events(j * this.interval + 1, k);
    const last = events.pop()!;
    for (const e of events) {
      s ??= emptyRun(e);
      applyEvent(s, e, this.ledger.rules);
    }
    const before = s && structuredClone(s);
    s ??= emptyRun(last);
    applyEvent(s, last, this.ledger.rules);
    const changed = diffStates(before, s);
    const touched = new Set(changed.node_runs);
    return {
      step: k,
      steps: this.steps,
      event: last,
      state: { run: s.run, node_runs: s.node_runs },
      changed,
      before: { run: before?.run ?? null, node_runs: (before?.node_runs ?? []).filter((n) => touched.has(n.node_run_id)) },
    };
  }

  forward = () => this.at(Math.min(this.steps, this.position + 1));
  back = () => this.at(Math.max(0, this.position - 1));
  end = () => this.at(this.steps);

  /** The next (dir 1) or previous (dir -1) step after the current one whose event matches; null if none. */
  find(target: ReplayTarget, dir: 1 | -1 = 1): number | null {
    // A failure is any kind that reads as one; asking SQL for just those kinds skips the rest.
    const kinds = target.kind
      ? [target.kind]
      : target.failure
        ? this.ledger.facets('kind', { runs: [this.runId] }, 10_000).map((f) => String(f.value)).filter((k) => this.ledger.rules.read(k).transition === 'failed')
        : undefined;
    if (kinds && !kinds.length) return null;
    const matches = (e: LedgerEvent) =>
      (!target.failure || this.ledger.rules.read(e.kind).transition === 'failed') && (!target.node || nodeOf(e, this.ledger.rules) === target.node);
    const query: Query = { runs: [this.runId], ...(kinds && { kinds }) };
    let cursor = this.position === 0 ? 0 : this.offsets[this.position - 1]!;
    if (dir === -1 && this.position <= 1) return null;
    for (;;) {
      const page = dir === 1 ? this.ledger.page({ query, after: cursor, limit: 1000, payload: 'full' }) : this.ledger.page({ query, before: cursor, limit: 1000, payload: 'full' });
      const list = dir === 1 ? page.events : [...page.events].reverse();
      for (const e of list) {
        const step = this.stepOf(e.offset);
        if (step === null) return null; // past the replayed range
        if (matches(e)) return step;
      }
      if (!page.has_more || !list.length) return null;
      cursor = list.at(-1)!.offset;
    }
  }

  /** The step whose event has this offset, by binary search. */
  private stepOf(offset: number): number | null {
    this.indexPast(offset);
    let lo = 0;
    let hi = this.indexed - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.offsets[mid]!;
      if (v === offset) return mid + 1;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }
}
