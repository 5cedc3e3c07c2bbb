// Replay of one run: the state after any step, with what that step changed.
// Checkpoints of the folded state every N steps bound the work of any jump to N events.
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
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import type { LedgerReader } from '../read/reader.ts';

/** What "the next event matching" means: a kind, a failure, a node. */
export interface ReplayTarget {
  kind?: string;
  failure?: boolean;
  node?: string;
}

const MIN_INTERVAL = 256;
const MAX_CHECKPOINTS = 2048;

export class Replay {
  readonly runId: string;
  readonly steps: number;
  private readonly ledger: LedgerReader;
  private readonly offsets: Float64Array;
  private readonly interval: number;
  /** checkpoints[j]: the state after step j * interval (null for step 0). */
  private readonly checkpoints: Array<RunState | null>;
  position = 0;

  private constructor(ledger: LedgerReader, runId: string, offsets: Float64Array, interval: number, checkpoints: Array<RunState | null>) {
    this.ledger = ledger;
    this.runId = runId;
    this.offsets = offsets;
    this.steps = offsets.length;
    this.interval = interval;
    this.checkpoints = checkpoints;
  }

  /** Reads the run once, keeping its offsets and a checkpoint every `interval` steps. */
  static open(ledger: LedgerReader, runId: string, ctl: JobControl = {}): Replay {
    const count = ledger.count({ runs: [runId] });
    if (!count) throw new LedgerError('not_found', `no run "${runId}" in this ledger`, ledger.path);
    const interval = Math.max(MIN_INTERVAL, Math.ceil(count / MAX_CHECKPOINTS));
    const offsets = new Float64Array(count);
    const checkpoints: Array<RunState | null> = [null];
    const progress = progressReporter(ctl, count, 'events');
    let s: RunState | null = null;
    let k = 0;
    for (const e of ledger.iterate({ runs: [runId] })) {
      if (k === count) break; // appended since the count: the replay covers the run as it was
      s ??= emptyRun(e);
      applyEvent(s, e, ledger.rules);
      offsets[k++] = e.offset;
      if (k % interval === 0) {
        checkpoints.push(structuredClone(s));
        progress.report(k);
        throwIfCancelled(ctl.signal, ledger.path);
      }
    }
    progress.done(k);
    return new Replay(ledger, runId, offsets.subarray(0, k), interval, checkpoints);
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
    let lo = 0;
    let hi = this.offsets.length - 1;
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
