// The run and node-run projection rules of docs/projections.md, in one place.
// Pure functions over events: the engine folds whole ledgers with them, the replay
// stepper folds one run step by step, and the renderer can use the same types.
import type { z } from 'zod';
import type { RulesSchema } from './rules-schema.ts';

/** Every status a run can have: what `runs --status` and the runs call take. */
export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'pending', 'unknown'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type NodeStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'retrying' | 'skipped';
export type Transition = NodeStatus;
export type Entity = 'run' | 'node';

export interface RunProjection {
  run_id: string;
  workflow_id: string | null;
  version: string | null;
  schedule_id: string | null;
  status: RunStatus;
  status_derived: boolean;
  started_at: string | null;
  ended_at: string | null;
  event_count: number;
  first_offset: number;
  last_offset: number;
  error: string | null;
}

export interface NodeRunProjection {
  node_run_id: string;
  run_id: string;
  node_id: string;
  attempt: number;
  status: NodeStatus;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  error: string | null;
  first_offset: number;
  last_offset: number;
  /** The attempt ended failed or cancelled and a retry of it was recorded. */
  retried: boolean;
}

/** What the fold needs of an event. `payload` is JSON text; `node_id` is an adapter column. */
export interface FoldEvent {
  offset: number;
  run_id: string;
  kind: string;
  time: string | null;
  node_id: string | null;
  payload: string;
}

const ENTITY: Record<string, Entity> = {};
for (const w of ['run', 'workflow', 'session', 'execution', 'job', 'pipeline']) ENTITY[w] = 'run';
for (const w of ['node', 'step', 'task', 'component', 'activity', 'stage', 'agent']) ENTITY[w] = 'node';

const TRANSITION: Record<string, Transition> = {};
const words: Array<[Transition, string[]]> = [
  ['running', ['started', 'start', 'begin', 'began', 'running', 'resumed']],
  ['completed', ['completed', 'complete', 'succeeded', 'success', 'finished', 'finish', 'done', 'ok']],
  ['failed', ['failed', 'fail', 'failure', 'error', 'errored', 'timeout', 'timedout', 'expired']],
  ['cancelled', ['cancelled', 'canceled', 'aborted', 'abort', 'terminated', 'killed']],
  ['retrying', ['retried', 'retry', 'retrying']],
  ['skipped', ['skipped', 'skip']],
  ['pending', ['scheduled', 'queued', 'pending', 'created']],
];
for (const [t, ws] of words) for (const w of ws) TRANSITION[w] = t;

/** Transitions that only nodes take; on a run they change nothing. */
const NODE_ONLY = new Set<Transition>(['retrying', 'skipped']);

export interface KindReading {
  entity: Entity | null;
  transition: Transition | null;
}

/** Words of a kind: split on . _ : / - spaces and camel-case boundaries, lower-cased. */
export function kindWords(kind: string): string[] {
  return kind
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[._:/\-\s]+/)
    .filter(Boolean);
}

/** The word tables' reading: the first word names the entity, the last (or last two joined) the transition. */
function readWords(kind: string): KindReading {
  const tokens = kindWords(kind);
  const entity = ENTITY[tokens[0] ?? ''] ?? null;
  if (!entity || tokens.length < 2) return { entity, transition: null };
  const last = tokens[tokens.length - 1]!;
  const lastTwo = tokens.length > 2 ? tokens[tokens.length - 2]! + last : '';
  const word = Object.hasOwn(TRANSITION, last) ? last : Object.hasOwn(TRANSITION, lastTwo) ? lastTwo : null;
  return { entity, transition: word ? onEntity(entity, TRANSITION[word]!) : null };
}

const onEntity = (entity: Entity | null, t: Transition | null) => (entity === 'run' && t && NODE_ONLY.has(t) ? null : t);

export const TRANSITIONS = ['pending', 'running', 'completed', 'failed', 'cancelled', 'retrying', 'skipped'] as const;

/** A ledger's own rules, as RulesSchema (rules-schema.ts) takes them. */
export type LedgerRules = z.input<typeof RulesSchema>;

/** The rules compiled for the fold: how a kind reads and where a node id is found. */
export interface Rules {
  readonly spec: LedgerRules | null;
  read(kind: string): KindReading;
  /** A payload path for the node id, when the rules give one. */
  readonly nodePath: string[] | null;
  /** A column for the node id, when the rules give one (the layout selects it as node_id). */
  readonly nodeColumn: string | null;
}

function matcher(pattern: string): (kind: string) => boolean {
  const re = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (re) {
    let rx: RegExp;
    try {
      rx = new RegExp(re[1]!, re[2]);
    } catch (e) {
      throw new Error(`the rule pattern ${pattern} is not a regular expression: ${(e as Error).message}`);
    }
    return (k) => rx.test(k);
  }
  if (/[*?]/.test(pattern)) {
    const rx = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
    return (k) => rx.test(k);
  }
  return (k) => k === pattern;
}

/** Compiles rules (already checked against RulesSchema); throws an Error naming a bad pattern. */
export function compileRules(spec?: LedgerRules | null): Rules {
  const kinds = (spec?.kinds ?? []).map((r) => ({ test: matcher(r.match), entity: r.entity, transition: r.transition }));
  const readings = new Map<string, KindReading>();
  const node = spec?.node ?? null;
  return {
    spec: spec ?? null,
    nodePath: node?.startsWith('$') ? node.replace(/^\$\.?/, '').split('.').filter(Boolean) : null,
    nodeColumn: node && !node.startsWith('$') ? node : null,
    read(kind: string): KindReading {
      let r = readings.get(kind);
      if (!r) {
        const rule = kinds.find((k) => k.test(kind));
        if (!rule) r = readWords(kind);
        else if (rule.transition !== undefined) r = { entity: rule.entity, transition: rule.entity ? onEntity(rule.entity, rule.transition) : null };
        else r = { entity: rule.entity, transition: rule.entity ? onEntity(rule.entity, readWords(`${rule.entity} ${kind}`).transition) : null };
        if (readings.size < 100_000) readings.set(kind, r);
      }
      return r;
    },
  };
}

/** The word tables alone: the rules of a ledger that has none of its own. */
export const DEFAULT_RULES = compileRules(null);

/** How a kind reads by the word tables alone. */
export const readKind = (kind: string): KindReading => DEFAULT_RULES.read(kind);

/** A stored status word read with the same table, for comparing stored state with rebuilt state. */
export function normaliseStatus(word: string | null | undefined): string | null {
  if (word == null) return null;
  const w = word.toLowerCase();
  return Object.hasOwn(TRANSITION, w) ? TRANSITION[w]! : w;
}

const NODE_KEYS = ['node_id', 'step_id', 'task_id', 'component_id', 'node', 'step', 'task', 'name'];
/** The run fields read from the first payload that carries them. */
export const META_KEYS = ['workflow_id', 'version', 'schedule_id'] as const;
const ENDED: ReadonlySet<NodeStatus> = new Set(['completed', 'failed', 'cancelled', 'skipped', 'retrying']);
const OPENS_NEXT: ReadonlySet<NodeStatus> = new Set(['failed', 'cancelled', 'retrying']);
const RUN_ENDED: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

function parse(payload: string): Record<string, unknown> {
  try {
    const v = JSON.parse(payload);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/**
 * The folded state of one run. Plain data (no Maps) so that it clones with
 * structuredClone for replay checkpoints and serialises to the projection cache.
 */
export interface RunState {
  run: RunProjection;
  node_runs: NodeRunProjection[];
  /** node_id -> index in node_runs of that node's latest attempt. */
  latest: Record<string, number>;
  /** Whether a run-entity transition has been seen (else the status is derived). */
  explicit: boolean;
  /** Meta fields still to be found in payloads. */
  missing: string[];
}

export function emptyRun(e: FoldEvent): RunState {
  return {
    run: {
      run_id: e.run_id,
      workflow_id: null,
      version: null,
      schedule_id: null,
      status: 'unknown',
      status_derived: true,
      started_at: e.time,
      ended_at: null,
      event_count: 0,
      first_offset: e.offset,
      last_offset: e.offset,
      error: null,
    },
    node_runs: [],
    latest: {},
    explicit: false,
    missing: [...META_KEYS],
  };
}

/** A node's identity: the rules' payload path, else the first present payload key of the list, else the adapter column. */
export function nodeIdFrom(payload: Record<string, unknown>, column: string | null, rules: Rules = DEFAULT_RULES): string | null {
  if (rules.nodePath) {
    let v: unknown = payload;
    for (const k of rules.nodePath) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    return str(v) ?? column;
  }
  if (rules.nodeColumn) return column;
  for (const k of NODE_KEYS) {
    const v = str(payload[k]);
    if (v !== null) return v;
  }
  return column;
}

const NODE_KEY_PATTERNS = NODE_KEYS.map((k) => new RegExp(`"${k}"\\s*:\\s*(?:"((?:[^"\\\\]|\\\\.)+)"|(-?\\d+(?:\\.\\d+)?))`));

/**
 * The node a payload text names, by the same rule, even when the text is a cut
 * preview that no longer parses: then the first rule key found in it counts.
 */
export function nodeIdFromText(payload: string, column: string | null): string | null {
  const parsed = parse(payload);
  if (Object.keys(parsed).length) return nodeIdFrom(parsed, column);
  for (const re of NODE_KEY_PATTERNS) {
    const m = re.exec(payload);
    if (m) return m[1] !== undefined ? (JSON.parse(`"${m[1]}"`) as string) : m[2]!;
  }
  return column;
}

/** The node an event names, by the same rule, for any event. */
export const nodeOf = (e: FoldEvent, rules: Rules = DEFAULT_RULES) => nodeIdFrom(parse(e.payload), e.node_id, rules);

const errorOf = (p: Record<string, unknown>) => str(p.error) ?? str(p.message) ?? (p.error != null ? JSON.stringify(p.error) : null);

/** Takes the meta fields the run still lacks from an event's payload, where it carries them: the run's first event that does gives each. */
export function takeMeta(s: RunState, payload: string, parsed: () => Record<string, unknown> = () => parse(payload)): void {
  if (!s.missing.length || !s.missing.some((k) => payload.includes(`"${k}"`))) return;
  const pl = parsed();
  s.missing = s.missing.filter((k) => {
    const v = str(pl[k]);
    if (v === null) return true;
    (s.run as unknown as Record<string, unknown>)[k] = v;
    return false;
  });
}

/** Applies one event of the run to its state, in place. */
export function applyEvent(s: RunState, e: FoldEvent, rules: Rules = DEFAULT_RULES): void {
  const run = s.run;
  run.event_count++;
  run.last_offset = e.offset;
  const { entity, transition } = rules.read(e.kind);
  // Payloads are parsed only when something may be read from them.
  let p: Record<string, unknown> | null = null;
  const payload = () => (p ??= parse(e.payload));
  takeMeta(s, e.payload, payload);
  if (entity === 'run') {
    if (!transition) return;
    s.explicit = true;
    run.status = transition as RunStatus;
    run.status_derived = false;
    if (RUN_ENDED.has(run.status)) run.ended_at = e.time;
    else run.ended_at = null;
    if (transition === 'failed') run.error = errorOf(payload());
    return;
  }
  if (entity !== 'node') return;
  const pl = payload();
  const nodeId = nodeIdFrom(pl, e.node_id, rules);
  if (nodeId === null) return;
  applyNode(s, e, nodeId, transition, pl);
  if (!s.explicit) deriveStatus(s);
}

function applyNode(s: RunState, e: FoldEvent, nodeId: string, transition: Transition | null, pl: Record<string, unknown>): void {
  const latestIdx = s.latest[nodeId];
  const latest = latestIdx === undefined ? undefined : s.node_runs[latestIdx];
  let attempt: number;
  if (Number.isInteger(pl.attempt)) attempt = pl.attempt as number;
  else if (!latest) attempt = 1;
  else if (transition === 'running' && OPENS_NEXT.has(latest.status)) attempt = latest.attempt + 1;
  else attempt = latest.attempt;
  let idx = latest && latest.attempt === attempt ? latestIdx! : s.node_runs.findIndex((n) => n.node_id === nodeId && n.attempt === attempt);
  let nr = s.node_runs[idx];
  if (!nr) {
    if (!transition) return; // chatter about a node that has not begun changes nothing
    nr = {
      node_run_id: str(pl.node_run_id) ?? `${e.run_id}:${nodeId}:${attempt}`,
      run_id: e.run_id,
      node_id: nodeId,
      attempt,
      status: 'pending',
      started_at: null,
      ended_at: null,
      duration_ms: null,
      error: null,
      first_offset: e.offset,
      last_offset: e.offset,
      retried: false,
    };
    idx = s.node_runs.push(nr) - 1;
  }
  if (latest === undefined || attempt >= latest.attempt) s.latest[nodeId] = idx;
  nr.last_offset = e.offset;
  if (!transition) return;
  // The attempt failed; the retry is the next attempt, so the failure stands.
  if (transition === 'retrying' && (nr.status === 'failed' || nr.status === 'cancelled')) {
    nr.retried = true;
    return;
  }
  nr.status = transition;
  if (transition === 'running') {
    nr.started_at ??= e.time;
    nr.ended_at = null;
    nr.duration_ms = null;
  } else if (ENDED.has(transition)) {
    nr.ended_at ??= e.time;
    nr.started_at ??= e.time;
    // A time that is no time (other text, a database's infinity or BC date) has no duration.
    const ms = nr.started_at && nr.ended_at ? Date.parse(nr.ended_at) - Date.parse(nr.started_at) : NaN;
    nr.duration_ms = Number.isFinite(ms) ? ms : null;
  } else if (transition === 'pending') {
    nr.ended_at = null;
    nr.duration_ms = null;
  }
  if (transition === 'failed') nr.error = errorOf(pl);
}

/** A run with no run-level transition takes its status from each node's latest attempt. */
function deriveStatus(s: RunState): void {
  const latest = Object.values(s.latest).map((i) => s.node_runs[i]!);
  let status: RunStatus = 'unknown';
  if (latest.some((n) => n.status === 'running' || n.status === 'retrying')) status = 'running';
  else if (latest.some((n) => n.status === 'failed')) status = 'failed';
  else if (latest.length && latest.every((n) => n.status === 'completed' || n.status === 'skipped')) status = 'completed';
  const run = s.run;
  run.status = status;
  run.status_derived = true;
  run.ended_at =
    status === 'completed' || status === 'failed'
      ? latest.reduce<string | null>((m, n) => (n.ended_at && (!m || n.ended_at > m) ? n.ended_at : m), null)
      : null;
  if (status === 'failed') run.error = latest.find((n) => n.status === 'failed')?.error ?? null;
  else run.error = null;
}

/** Folds events of one run from scratch. */
export function foldRun(events: Iterable<FoldEvent>, rules: Rules = DEFAULT_RULES): RunState | null {
  let s: RunState | null = null;
  for (const e of events) {
    s ??= emptyRun(e);
    applyEvent(s, e, rules);
  }
  return s;
}

export interface StepChange {
  run: string[];
  node_runs: string[];
}

/** Which run fields and node-runs differ between two states of one run. */
export function diffStates(before: RunState | null, after: RunState | null): StepChange {
  const run: string[] = [];
  if (after) {
    for (const k of Object.keys(after.run) as Array<keyof RunProjection>) if (!before || before.run[k] !== after.run[k]) run.push(k);
  }
  const prior = new Map((before?.node_runs ?? []).map((n) => [n.node_run_id, JSON.stringify(n)]));
  const node_runs = (after?.node_runs ?? []).filter((n) => prior.get(n.node_run_id) !== JSON.stringify(n)).map((n) => n.node_run_id);
  return { run, node_runs };
}

/** A field where a ledger's stored runs/node_runs tables disagree with the state rebuilt from events. */
export interface DriftRow {
  table: 'runs' | 'node_runs';
  /** run_id or node_run_id. */
  key: string;
  run_id: string;
  /** A column, or "row" when the row exists on one side only. */
  field: string;
  stored: unknown;
  rebuilt: unknown;
}

export interface RunDetail {
  run: RunProjection;
  node_runs: NodeRunProjection[];
  /** Differences from the ledger's stored runs/node_runs tables; null where it has none. */
  drift: DriftRow[] | null;
}

export interface ReplayPosition {
  step: number;
  steps: number;
  /** The event of this step; null at step 0. */
  event: import('./ledger.ts').LedgerEvent | null;
  state: { run: RunProjection | null; node_runs: NodeRunProjection[] };
  changed: StepChange;
  /** The state before this step's event, for old -> new: the run, and the node-runs it changed (absent: new). */
  before: { run: RunProjection | null; node_runs: NodeRunProjection[] };
}
