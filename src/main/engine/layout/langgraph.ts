// LangGraph checkpoint savers (SQLite `checkpoints` + `writes`, as
// @langchain/langgraph-checkpoint-sqlite writes them): a thread (with its checkpoint
// namespace) is a run; each checkpoint is a step, carrying the state (channel values)
// and what changed since its parent; the writes of each task after a checkpoint are
// that step's events, named for the task's node. Read through a TEMP view on the
// read-only connection, so nothing is written to the file.
import crypto from 'node:crypto';
import type { LedgerRules } from '../../../shared/projection.ts';
import type { Source } from './layouts.ts';
import type { DB } from '../base/sqlite.ts';

interface Checkpoint {
  ts: string | null;
  step: number | null;
  source: string | null;
  values: Record<string, unknown>;
  versions: Record<string, unknown>;
  seen: Record<string, unknown>;
  /** task_id -> node, found by recomputing LangGraph's task ids for this checkpoint. */
  tasks: Map<string, string> | null;
}

const PULL = '__pregel_pull';
const STEP_ROW = 65536;

/** Blob or text as UTF-8; anything else as its text form. */
const text = (v: unknown): string | null => (v == null ? null : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

function parseJson(v: unknown): unknown {
  const s = text(v);
  if (s === null) return null;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** A stored value as JSON text: its own bytes when they are JSON, else a description of them. */
function valueJson(type: unknown, v: unknown): string {
  const s = text(v);
  if (s === null) return 'null';
  if (parseJson(v) !== undefined) return s;
  return JSON.stringify(Buffer.isBuffer(v) ? `<${v.length} bytes of ${String(type ?? 'binary')}>` : s);
}

/** RFC 4122 version-5 id of a name in a namespace (LangGraph's task ids). */
function uuid5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const h = crypto.createHash('sha1').update(ns).update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function registerFunctions(db: DB): void {
  const cache = new Map<string, Checkpoint>();
  const read = (id: string, cp: unknown, meta: unknown): Checkpoint => {
    let c = cache.get(id);
    if (!c) {
      const j = (parseJson(cp) ?? {}) as Record<string, unknown>;
      const m = (parseJson(meta) ?? {}) as Record<string, unknown>;
      const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
      c = {
        ts: typeof j.ts === 'string' ? j.ts : null,
        step: typeof m.step === 'number' ? m.step : null,
        source: typeof m.source === 'string' ? m.source : null,
        values: obj(j.channel_values),
        versions: obj(j.channel_versions),
        seen: obj(j.versions_seen),
        tasks: null,
      };
      if (cache.size > 10_000) cache.clear();
      cache.set(id, c);
    }
    return c;
  };
  const opts = { deterministic: true };
  db.function('li_lg_ts', opts, (id: unknown, cp: unknown, meta: unknown) => read(String(id), cp, meta).ts);
  db.function('li_lg_source', opts, (id: unknown, cp: unknown, meta: unknown) => read(String(id), cp, meta).source);
  db.function('li_lg_step', opts, (id: unknown, cp: unknown, meta: unknown) => read(String(id), cp, meta).step);
  db.function('li_lg_checkpoint', opts, (id: unknown, cp: unknown, meta: unknown, parentId: unknown, parentCp: unknown, parentMeta: unknown) => {
    const c = read(String(id), cp, meta);
    const p = parentId == null ? null : read(String(parentId), parentCp, parentMeta);
    const changed = Object.keys(c.versions).filter((k) => !p || JSON.stringify(p.versions[k]) !== JSON.stringify(c.versions[k]));
    return JSON.stringify({ checkpoint_id: id, parent_checkpoint_id: parentId ?? null, step: c.step, source: c.source, changed, values: c.values });
  });
  db.function('li_lg_node', opts, (id: unknown, cp: unknown, meta: unknown, ns: unknown, task: unknown) => {
    const c = read(String(id), cp, meta);
    if (!c.tasks) {
      // A task's id is uuid5([ns|node, step, node, PULL, [trigger]], checkpoint id): try each node and trigger channel.
      c.tasks = new Map();
      const step = String((c.step ?? -1) + 1);
      const nodes = new Set([...Object.keys(c.seen), ...Object.keys(c.versions).filter((k) => k.startsWith('branch:to:')).map((k) => k.slice(10)), '__start__']);
      for (const node of nodes) {
        const path = ns ? `${String(ns)}|${node}` : node;
        for (const trigger of Object.keys(c.versions)) {
          try {
            c.tasks.set(uuid5(JSON.stringify([path, step, node, PULL, [trigger]]), String(id)), node);
          } catch {
            // A checkpoint id that is not hex names no tasks.
          }
        }
      }
    }
    return c.tasks.get(String(task)) ?? null;
  });
  db.function('li_lg_write', opts, (channel: unknown, task: unknown, node: unknown, type: unknown, value: unknown) => {
    const v = valueJson(type, value);
    const parsed = parseJson(value) as Record<string, unknown> | null | undefined;
    const error = channel === '__error__' && parsed && typeof parsed === 'object' ? (parsed.message ?? parsed.error ?? null) : null;
    const head = JSON.stringify({ node: node ?? null, channel, task_id: task, ...(error != null && { error: String(error) }) });
    // The stored value is kept as its own text, not re-serialised.
    return `${head.slice(0, -1)},"value":${v}}`;
  });
}

/** Kinds of write rows by channel; any other channel is a plain write. */
const WRITE_KIND = `CASE w.channel WHEN '__error__' THEN 'task.error' WHEN '__interrupt__' THEN 'task.interrupt' WHEN '__resume__' THEN 'task.resume' WHEN '__scheduled__' THEN 'task.scheduled' ELSE 'task.write' END`;

const VIEW = `
CREATE TEMP VIEW IF NOT EXISTS li_langgraph AS
WITH c AS (
  SELECT c.rowid AS r, c.*, p.checkpoint AS parent_checkpoint, p.metadata AS parent_metadata
  FROM main.checkpoints c LEFT JOIN main.checkpoints p
    ON p.thread_id = c.thread_id AND p.checkpoint_ns = c.checkpoint_ns AND p.checkpoint_id = c.parent_checkpoint_id
),
w AS (
  SELECT w.*, c.r, c.checkpoint AS cp, c.metadata AS meta,
    li_lg_node(w.checkpoint_id, c.checkpoint, c.metadata, w.checkpoint_ns, w.task_id) AS node,
    row_number() OVER (PARTITION BY w.thread_id, w.checkpoint_ns, w.checkpoint_id ORDER BY w.rowid) AS rank,
    lag(w.channel) OVER (PARTITION BY w.thread_id, w.checkpoint_ns, w.checkpoint_id, w.task_id ORDER BY w.rowid) AS prior
  FROM main.writes w JOIN c ON c.thread_id = w.thread_id AND c.checkpoint_ns = w.checkpoint_ns AND c.checkpoint_id = w.checkpoint_id
)
SELECT c.r * ${STEP_ROW} AS "offset", c.checkpoint_id AS id,
  CASE c.checkpoint_ns WHEN '' THEN c.thread_id ELSE c.thread_id || '|' || c.checkpoint_ns END AS run_id,
  li_lg_step(c.checkpoint_id, c.checkpoint, c.metadata) AS seq, 'checkpoint' AS kind,
  li_lg_source(c.checkpoint_id, c.checkpoint, c.metadata) AS actor,
  li_lg_ts(c.checkpoint_id, c.checkpoint, c.metadata) AS time, NULL AS node_id,
  li_lg_checkpoint(c.checkpoint_id, c.checkpoint, c.metadata, c.parent_checkpoint_id, c.parent_checkpoint, c.parent_metadata) AS payload
FROM c
UNION ALL
SELECT w.r * ${STEP_ROW} + 2 * w.rank, w.checkpoint_id || '/' || w.task_id || '/' || w.idx,
  CASE w.checkpoint_ns WHEN '' THEN w.thread_id ELSE w.thread_id || '|' || w.checkpoint_ns END,
  NULL, CASE WHEN w.node IS NULL THEN 'command' || substr(${WRITE_KIND}, 5) ELSE ${WRITE_KIND} END, w.node,
  li_lg_ts(w.checkpoint_id, w.cp, w.meta), w.node, li_lg_write(w.channel, w.task_id, w.node, w.type, w.value)
FROM w
UNION ALL
-- A task's first write, and its first after an error (the task run again), start an attempt.
SELECT w.r * ${STEP_ROW} + 2 * w.rank - 1, w.checkpoint_id || '/' || w.task_id || '/start' || w.rank,
  CASE w.checkpoint_ns WHEN '' THEN w.thread_id ELSE w.thread_id || '|' || w.checkpoint_ns END,
  NULL, 'task.start', w.node, li_lg_ts(w.checkpoint_id, w.cp, w.meta), w.node,
  json_object('node', w.node, 'task_id', w.task_id)
FROM w WHERE w.node IS NOT NULL AND (w.prior IS NULL OR w.prior = '__error__')`;

/** LangGraph's kinds in its own words: a write ends a task, an interrupt waits, a resume runs it again. */
const RULES: LedgerRules = {
  kinds: [
    { match: 'task.write', entity: 'node', transition: 'completed' },
    { match: 'task.interrupt', entity: 'node', transition: 'pending' },
    { match: 'task.resume', entity: 'node', transition: 'running' },
    { match: 'checkpoint', entity: null },
  ],
  node: '$.node',
};

export function langgraphSource(db: DB): Source {
  registerFunctions(db);
  db.exec(VIEW);
  const col = Object.fromEntries(
    ['offset', 'id', 'run_id', 'seq', 'kind', 'actor', 'time', 'session_id', 'model_id', 'node_id', 'payload'].map((f) => [f, f === 'session_id' || f === 'model_id' ? 'NULL' : `li_langgraph.${f === 'offset' ? '"offset"' : f}`]),
  ) as Source['col'];
  // Offsets leave room for each checkpoint's writes, so they have gaps.
  return { layout: 'langgraph', table: 'temp.li_langgraph', col, timeFormat: 'iso', appendable: false, hasSeq: false, how: 'layout', mapping: null, rules: RULES, sparse: true };
}
