// A realistic synthetic ledger: interleaved runs of workflow nodes with retries,
// failures, cancellations, tool and model chatter, unicode payloads, and the
// newest runs still going. Deterministic for a given seed.
import { indexProgress } from './bulk.ts';
import { openBulkWriter } from './bulk-thread.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import type { CanonicalRow } from '../format/schema.ts';

export interface GenerateOptions extends JobControl {
  events: number;
  runs?: number;
  seed?: number;
  /** Runs in flight at once, interleaved in the ledger. */
  concurrency?: number;
  overwrite?: boolean;
}

/** mulberry32: a tiny, fast, seedable PRNG; reproducibility matters here, not quality. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORKFLOWS: Record<string, string[]> = {
  'ingest-docs': ['fetch', 'parse', 'chunk', 'embed', 'index'],
  'agent-chat': ['plan', 'retrieve', 'draft', 'review', 'respond'],
  'nightly-report': ['extract', 'transform', 'aggregate', 'render', 'publish', 'notify'],
  'code-review': ['checkout', 'lint', 'test', 'analyze', 'comment'],
};
const MODELS = ['gpt-5-mini', 'claude-sonnet-4', 'qwen3-32b', 'llama-4-scout'];
const TOOLS = ['http.get', 'sql.query', 'fs.read', 'search.web', 'python.exec', 'git.diff'];
const TEXTS = [
  'Summarised 12 documents into 3 key findings',
  '处理用户请求：生成季度报告摘要',
  'Überprüfung der Eingabedaten abgeschlossen',
  'Résultat partiel reçu, en attente du reste',
  '✅ all checks passed 🎉',
  'Получен ответ от сервиса за 132 мс',
  'ユーザーの質問に回答しました',
  'Retrying after upstream 503 from api.internal',
  '🔍 searching index for "quarterly revenue"',
  'مرحبا، تمت معالجة الطلب بنجاح',
];
const ERRORS = [
  'TimeoutError: upstream did not answer within 30s',
  'RateLimitError: 429 Too Many Requests',
  'ValueError: chunk size must be positive',
  'ConnectionResetError: peer closed the connection',
  '模型输出无法解析为 JSON',
];

interface Emit {
  kind: string;
  actor: string;
  payload: Record<string, unknown>;
  model?: string;
}

function* runScript(rnd: () => number, runId: string, index: number, target: number): Generator<Emit> {
  const pick = <T,>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const names = Object.keys(WORKFLOWS);
  const workflow = names[index % names.length]!;
  const nodes = WORKFLOWS[workflow]!;
  const version = `v${1 + (index % 3)}.${index % 7}`;
  const schedule = index % 4 === 0 ? `sched-${workflow}-daily` : null;
  yield {
    kind: 'run.started',
    actor: 'scheduler',
    payload: { run_id: runId, workflow_id: workflow, version, schedule_id: schedule, trigger: schedule ? 'cron' : 'manual' },
  };
  const chatter = Math.max(0, Math.round((target - 2 - nodes.length * 2.4) / nodes.length));
  for (const node of nodes) {
    for (let attempt = 1; ; attempt++) {
      yield { kind: 'node.started', actor: 'worker', payload: { node_id: node, attempt, input: { items: Math.floor(rnd() * 500) } } };
      const n = Math.round(chatter * (0.5 + rnd()));
      for (let i = 0; i < n; i++) {
        const r = rnd();
        if (r < 0.3) {
          const model = pick(MODELS);
          yield { kind: 'model.request', actor: 'agent', model, payload: { node_id: node, model, prompt: pick(TEXTS), max_tokens: 1024 } };
          yield {
            kind: 'model.response',
            actor: 'agent',
            model,
            payload: { node_id: node, model, text: pick(TEXTS), usage: { input_tokens: Math.floor(rnd() * 4000), output_tokens: Math.floor(rnd() * 800) } },
          };
          i++;
        } else if (r < 0.6) {
          const tool = pick(TOOLS);
          yield { kind: 'tool_call', actor: 'agent', payload: { node_id: node, tool, args: { q: pick(TEXTS), limit: 10 } } };
          yield { kind: 'tool_result', actor: 'tool', payload: { node_id: node, tool, ok: rnd() > 0.05, bytes: Math.floor(rnd() * 1e5) } };
          i++;
        } else if (r < 0.85) {
          yield { kind: 'log', actor: 'worker', payload: { node_id: node, level: rnd() < 0.1 ? 'warn' : 'info', message: pick(TEXTS) } };
        } else {
          yield { kind: 'metric', actor: 'worker', payload: { node_id: node, name: 'latency_ms', value: Math.round(rnd() * 2000) } };
        }
      }
      const fails = rnd() < 0.09;
      if (!fails) {
        yield { kind: 'node.completed', actor: 'worker', payload: { node_id: node, attempt, output: { items: Math.floor(rnd() * 500) }, duration_ms: Math.round(rnd() * 9000) } };
        break;
      }
      const error = pick(ERRORS);
      yield { kind: 'node.failed', actor: 'worker', payload: { node_id: node, attempt, error } };
      if (attempt < 3 && rnd() < 0.75) {
        yield { kind: 'node.retrying', actor: 'scheduler', payload: { node_id: node, attempt, backoff_ms: 1000 * 2 ** attempt } };
        continue;
      }
      yield { kind: 'run.failed', actor: 'scheduler', payload: { run_id: runId, error: `node ${node} failed: ${error}` } };
      return;
    }
    if (rnd() < 0.015) {
      yield { kind: 'run.cancelled', actor: 'user', payload: { run_id: runId, reason: 'cancelled from the console' } };
      return;
    }
  }
  yield { kind: 'run.completed', actor: 'scheduler', payload: { run_id: runId, nodes: nodes.length } };
}

const isEnd = (e: Emit) => e.kind.startsWith('run.') && e.kind !== 'run.started';
const filler = (i: number): Emit => ({ kind: 'log', actor: 'worker', payload: { level: 'info', message: TEXTS[i % TEXTS.length] } });

/** Writes a new canonical ledger of `events` events; the newest runs are left running. */
export function generateLedger(dest: string, opts: GenerateOptions): { events: number; runs: number } {
  const total = opts.events;
  const runs = Math.max(1, Math.min(opts.runs ?? Math.max(1, Math.round(total / 200)), total));
  const seed = opts.seed ?? 1;
  const rnd = prng(seed);
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? 8, runs));
  const perRun = total / runs;
  const writer = openBulkWriter(dest, { overwrite: opts.overwrite }, opts.events);
  const progress = progressReporter(opts, total, 'events');
  const seedTag = seed.toString(36);
  let clock = Date.UTC(2026, 0, 5, 8, 0, 0);
  let started = 0;
  const active: Array<{ id: string; session: string; it: Generator<Emit>; held?: Emit; silent: boolean }> = [];
  const startRun = () => {
    const id = `run-${seedTag}-${String(started + 1).padStart(6, '0')}`;
    active.push({ id, session: `sess-${(started % 97) + 1}`, it: runScript(rnd, id, started, perRun), silent: true });
    started++;
  };
  try {
    let written = 0;
    while (written < total) {
      while (started < runs && active.length < concurrency) startRun();
      // Every run gets at least its start event, so the ledger has exactly `runs` runs.
      const silent = active.findIndex((r) => r.silent);
      const owed = runs - started + active.filter((r) => r.silent).length;
      let slot = Math.floor(rnd() * active.length);
      if (owed >= total - written) {
        if (silent < 0) startRun();
        slot = silent < 0 ? active.length - 1 : silent;
      }
      const run = active[slot]!;
      let e: Emit;
      if (run.held) {
        // The last run standing fills the ledger to the requested size, then ends.
        e = written === total - 1 ? run.held : filler(written);
        if (e === run.held) run.held = undefined;
      } else {
        const next = run.it.next();
        if (next.done) {
          active.splice(slot, 1);
          continue;
        }
        e = next.value;
        if (isEnd(e) && started >= runs && active.length === 1 && written < total - 1) {
          run.held = e;
          e = filler(written);
        }
      }
      // A run that has ended leaves the active set at once, so "the last run standing" is exact.
      if (isEnd(e)) active.splice(slot, 1);
      run.silent = false;
      clock += 1 + Math.floor(rnd() * 250);
      written++;
      const row: CanonicalRow = [
        `ev-${seedTag}-${written.toString(36).padStart(8, '0')}`,
        run.id,
        0,
        e.kind,
        e.actor,
        JSON.stringify(e.payload),
        new Date(clock).toISOString(),
        1,
        run.session,
        e.model ? 'default' : null,
        e.model ?? null,
        null,
      ];
      writer.add(row);
      if ((written & 0x3fff) === 0) {
        progress.report(written);
        throwIfCancelled(opts.signal, dest);
      }
    }
    progress.done();
    writer.finish(indexProgress(opts));
  } catch (e) {
    writer.abort();
    throw e;
  }
  return { events: total, runs: started };
}
