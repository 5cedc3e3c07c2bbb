// The projection rules of docs/projections.md, table by table, on real ledgers.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileRules, foldRun, readKind, type FoldEvent, type LedgerRules } from '../src/shared/projection.ts';
import { createCanonical } from '../src/main/engine/write/create-ledger.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { Projector } from '../src/main/engine/derive/projector.ts';
import { tempDir, writeStateDb } from './fixtures.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

let offset = 0;
const ev = (kind: string, payload: object = {}, extra: Partial<FoldEvent> = {}): FoldEvent => ({
  offset: ++offset,
  run_id: 'r',
  kind,
  time: new Date(Date.UTC(2026, 0, 1) + offset * 1000).toISOString(),
  node_id: null,
  payload: JSON.stringify(payload),
  ...extra,
});
const fold = (...events: FoldEvent[]) => foldRun(events)!;

describe('reading a kind', () => {
  const RUN_WORDS = ['run', 'workflow', 'session', 'execution', 'job', 'pipeline'];
  const NODE_WORDS = ['node', 'step', 'task', 'component', 'activity', 'stage', 'agent'];
  const TRANSITIONS: Record<string, string[]> = {
    running: ['started', 'start', 'begin', 'began', 'running', 'resumed'],
    completed: ['completed', 'complete', 'succeeded', 'success', 'finished', 'finish', 'done', 'ok'],
    failed: ['failed', 'fail', 'failure', 'error', 'errored', 'timeout', 'timedout', 'expired'],
    cancelled: ['cancelled', 'canceled', 'aborted', 'abort', 'terminated', 'killed'],
    retrying: ['retried', 'retry', 'retrying'],
    skipped: ['skipped', 'skip'],
    pending: ['scheduled', 'queued', 'pending', 'created'],
  };

  it('knows every entity word and every transition word, with every separator and any case', () => {
    const seps = ['.', '_', ':', '/', '-', ' '];
    let i = 0;
    for (const [entity, ws] of [['run', RUN_WORDS], ['node', NODE_WORDS]] as const)
      for (const w of ws)
        for (const [transition, ts] of Object.entries(TRANSITIONS))
          for (const t of ts) {
            const sep = seps[i++ % seps.length]!;
            const kind = i % 2 ? `${w}${sep}${t}` : `${w.toUpperCase()}${sep}${t.toUpperCase()}`;
            const nodeOnly = transition === 'retrying' || transition === 'skipped';
            expect(readKind(kind), kind).toEqual({ entity, transition: entity === 'run' && nodeOnly ? null : transition });
          }
  });

  it('takes the first token as the entity and the last as the transition', () => {
    expect(readKind('workflow.phase.started')).toEqual({ entity: 'run', transition: 'running' });
    expect(readKind('STEP_RETRIED')).toEqual({ entity: 'node', transition: 'retrying' });
    expect(readKind('agent_complete')).toEqual({ entity: 'node', transition: 'completed' });
    expect(readKind('task.started.extra')).toEqual({ entity: 'node', transition: null });
    for (const k of ['tool_call', 'model.request', 'delta', 'GATE_PASSED', 'started', 'run', 'node.heartbeat', ''])
      expect(readKind(k).transition, k).toBeNull();
  });

  it('splits on camel-case boundaries too, and reads "timed out" as a failure', () => {
    expect(readKind('WorkflowExecutionStarted')).toEqual({ entity: 'run', transition: 'running' });
    expect(readKind('ActivityTaskFailed')).toEqual({ entity: 'node', transition: 'failed' });
    expect(readKind('ActivityTaskTimedOut')).toEqual({ entity: 'node', transition: 'failed' });
    expect(readKind('workflow.timed_out')).toEqual({ entity: 'run', transition: 'failed' });
    expect(readKind('HTTPJobCompleted')).toEqual({ entity: null, transition: null }); // "http job completed": no entity first
    expect(readKind('JobHTTPDone')).toEqual({ entity: 'run', transition: 'completed' });
    expect(readKind('STEP_RETRIED')).toEqual({ entity: 'node', transition: 'retrying' });
    expect(readKind('OrderPlaced')).toEqual({ entity: null, transition: null });
  });
});

describe("a ledger's own rules", () => {
  const rules: LedgerRules = {
    kinds: [
      { match: 'OrderPlaced', entity: 'run', transition: 'running' },
      { match: 'Payment*', entity: 'node' },
      { match: '/^Ship(ped|ment)$/i', entity: 'run', transition: 'completed' },
      { match: 'run.started', entity: null },
    ],
    node: '$.meta.stage',
  };
  const r = compileRules(rules);

  it('tries exact kinds, globs and regular expressions in order before the word tables', () => {
    expect(r.read('OrderPlaced')).toEqual({ entity: 'run', transition: 'running' });
    expect(r.read('PaymentFailed')).toEqual({ entity: 'node', transition: 'failed' }); // transition from its words
    expect(r.read('PaymentAuthorised')).toEqual({ entity: 'node', transition: null });
    expect(r.read('shipment')).toEqual({ entity: 'run', transition: 'completed' });
    expect(r.read('run.started')).toEqual({ entity: null, transition: null }); // a rule that silences a kind
    expect(r.read('run.failed')).toEqual({ entity: 'run', transition: 'failed' }); // no rule: the word tables
    expect(() => compileRules({ kinds: [{ match: '/(/', entity: 'run' }] })).toThrow(/not a regular expression/);
  });

  it('folds with them, taking node ids from the rules’ payload path', () => {
    const s = foldRun(
      [
        ev('OrderPlaced'),
        ev('PaymentStarted', { meta: { stage: 'card' }, node_id: 'ignored' }),
        ev('PaymentFailed', { meta: { stage: 'card' }, error: 'declined' }),
        ev('PaymentStarted', { meta: { stage: 'card' } }),
        ev('PaymentSucceeded', { meta: { stage: 'card' } }),
        ev('Shipped'),
      ],
      r,
    )!;
    expect(s.run).toMatchObject({ status: 'completed', status_derived: false });
    expect(s.node_runs.map((n) => [n.node_id, n.attempt, n.status, n.error])).toEqual([
      ['card', 1, 'failed', 'declined'],
      ['card', 2, 'completed', null],
    ]);
  });
});

describe('node identity and attempts', () => {
  it('takes node_id from the first present payload key, else the adapter column; ignores a node event with neither', () => {
    const keys = ['node_id', 'step_id', 'task_id', 'component_id', 'node', 'step', 'task', 'name'];
    keys.forEach((k, i) => {
      const later = Object.fromEntries(keys.slice(i).map((key) => [key, `${key}-value`]));
      expect(fold(ev('node.started', later)).node_runs[0]!.node_id).toBe(`${k}-value`);
    });
    expect(fold(ev('step.started', {}, { node_id: 'from-column' })).node_runs[0]!.node_id).toBe('from-column');
    const s = fold(ev('node.started', { other: 1 }), ev('node.completed', {}));
    expect(s.node_runs).toEqual([]);
    expect(s.run.event_count).toBe(2);
  });

  it('keeps failed (or cancelled) when a retry of that attempt is recorded, and marks it retried', () => {
    const s = fold(
      ev('step.started', { node_id: 'a' }),
      ev('step.failed', { node_id: 'a', error: 'boom' }),
      ev('step.retried', { node_id: 'a' }),
      ev('step.started', { node_id: 'a' }),
      ev('step.cancelled', { node_id: 'a' }),
      ev('step.retrying', { node_id: 'a' }),
      ev('step.started', { node_id: 'a' }),
      ev('step.retrying', { node_id: 'a' }),
    );
    expect(s.node_runs.map((n) => [n.attempt, n.status, n.retried, n.error])).toEqual([
      [1, 'failed', true, 'boom'],
      [2, 'cancelled', true, null],
      [3, 'retrying', false, null], // no failure recorded: still retrying
    ]);
  });

  it('numbers attempts without payload attempt: a start after failed, cancelled or retrying opens the next', () => {
    const s = fold(
      ev('node.started', { node_id: 'a' }),
      ev('node.failed', { node_id: 'a', error: 'e1' }),
      ev('node.started', { node_id: 'a' }),
      ev('node.cancelled', { node_id: 'a' }),
      ev('node.started', { node_id: 'a' }),
      ev('node.retrying', { node_id: 'a' }),
      ev('node.started', { node_id: 'a' }),
      ev('node.completed', { node_id: 'a' }),
      ev('node.started', { node_id: 'a' }),
    );
    expect(s.node_runs.map((n) => [n.node_run_id, n.attempt, n.status])).toEqual([
      ['r:a:1', 1, 'failed'],
      ['r:a:2', 2, 'cancelled'],
      ['r:a:3', 3, 'retrying'],
      ['r:a:4', 4, 'running'],
    ]);
    expect(s.node_runs[0]!.error).toBe('e1');
  });

  it('uses payload attempt when it is an integer, and payload node_run_id when present', () => {
    const s = fold(
      ev('node.started', { node_id: 'a', attempt: 3 }),
      ev('node.failed', { node_id: 'a', attempt: 3, message: 'boom' }),
      ev('node.started', { node_id: 'a', attempt: '7' }),
      ev('node.started', { node_id: 'b', node_run_id: 'nr-b' }),
    );
    expect(s.node_runs.map((n) => [n.node_run_id, n.attempt, n.status, n.error])).toEqual([
      ['r:a:3', 3, 'failed', 'boom'],
      ['r:a:4', 4, 'running', null],
      ['nr-b', 1, 'running', null],
    ]);
  });

  it('records times, duration and offsets of each attempt', () => {
    const s = fold(ev('node.queued', { node_id: 'a' }), ev('node.started', { node_id: 'a' }), ev('node.heartbeat', { node_id: 'a' }), ev('node.completed', { node_id: 'a' }));
    const [n] = s.node_runs;
    expect(n).toMatchObject({ attempt: 1, status: 'completed', first_offset: s.run.first_offset, last_offset: s.run.last_offset, duration_ms: 2000 });
    expect(Date.parse(n!.ended_at!) - Date.parse(n!.started_at!)).toBe(2000);
  });
});

describe('run fields and status', () => {
  it('takes workflow_id, version and schedule_id from the first event that carries each', () => {
    const s = fold(ev('log', { version: 'v1' }), ev('run.started', { workflow_id: 'wf', version: 'v2', schedule_id: null }), ev('log', { schedule_id: 's9', workflow_id: 'other' }));
    expect(s.run).toMatchObject({ workflow_id: 'wf', version: 'v1', schedule_id: 's9', event_count: 3, first_offset: s.run.first_offset });
    expect(s.run.last_offset - s.run.first_offset).toBe(2);
  });

  it('lets the latest run transition set the status, with the error of the failure', () => {
    expect(fold(ev('run.started'), ev('node.failed', { node_id: 'a' })).run).toMatchObject({ status: 'running', status_derived: false });
    const failed = fold(ev('run.started'), ev('run.failed', { message: 'out of memory' })).run;
    expect(failed).toMatchObject({ status: 'failed', status_derived: false, error: 'out of memory' });
    expect(failed.ended_at).not.toBeNull();
    expect(fold(ev('run.started'), ev('run.failed', { error: 'x' }), ev('run.resumed')).run).toMatchObject({ status: 'running', ended_at: null });
    expect(fold(ev('WORKFLOW_CANCELLED')).run.status).toBe('cancelled');
    expect(fold(ev('job.queued')).run.status).toBe('pending');
    expect(fold(ev('run.started'), ev('run.retrying')).run.status).toBe('running');
  });

  it('derives the status from each node’s latest attempt when no run transition exists', () => {
    const derived = (...es: FoldEvent[]) => {
      const r = fold(...es).run;
      expect(r.status_derived).toBe(true);
      return r.status;
    };
    expect(derived(ev('node.started', { node_id: 'a' }), ev('node.completed', { node_id: 'b' }))).toBe('running');
    expect(derived(ev('node.retrying', { node_id: 'a' }), ev('node.failed', { node_id: 'b' }))).toBe('running');
    expect(derived(ev('node.failed', { node_id: 'a', error: 'bad' }), ev('node.completed', { node_id: 'b' }))).toBe('failed');
    expect(derived(ev('node.completed', { node_id: 'a' }), ev('node.skipped', { node_id: 'b' }))).toBe('completed');
    expect(derived(ev('node.completed', { node_id: 'a' }), ev('node.cancelled', { node_id: 'b' }))).toBe('unknown');
    expect(derived(ev('node.completed', { node_id: 'a' }), ev('node.queued', { node_id: 'b' }))).toBe('unknown');
    // A failed first attempt retried to success: the latest attempt counts.
    expect(derived(ev('node.started', { node_id: 'a' }), ev('node.failed', { node_id: 'a' }), ev('node.started', { node_id: 'a' }), ev('node.completed', { node_id: 'a' }))).toBe('completed');
    expect(derived(ev('tool_call'), ev('model.request'))).toBe('unknown');
    expect(fold(ev('node.failed', { node_id: 'a', error: 'bad' })).run.error).toBe('bad');
  });
});

describe('Projector over a ledger', () => {
  function ledgerWith(events: Array<{ run_id: string; kind: string; payload?: object }>) {
    const file = path.join(dir, 'l.db');
    createCanonical(file);
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    l.append(events.map((e, i) => ({ id: `e${i}`, created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), ...e })));
    return { file, l };
  }

  it('folds every run once, caches the fold in the cache folder, and extends it as the ledger grows', () => {
    const { file, l } = ledgerWith([
      { run_id: 'a', kind: 'run.started', payload: { workflow_id: 'wf' } },
      { run_id: 'b', kind: 'run.started' },
      { run_id: 'a', kind: 'node.started', payload: { node_id: 'n' } },
    ]);
    expect(new Projector(l).runs().map((r) => [r.run_id, r.status, r.event_count])).toEqual([['a', 'running', 2], ['b', 'running', 1]]);
    const cache = fs.readdirSync(path.join(dir, 'cache')).filter((f) => f.endsWith('.runs.sqlite'));
    expect(cache).toHaveLength(1);
    // Prove a second session reads the cache rather than the events: doctor a cached field.
    const db = new Database(path.join(dir, 'cache', cache[0]!));
    const state = JSON.parse(db.prepare("SELECT state FROM runs WHERE run_id = 'b'").pluck().get() as string);
    state.run.workflow_id = 'from-cache';
    db.prepare("UPDATE runs SET state = ? WHERE run_id = 'b'").run(JSON.stringify(state));
    db.close();
    l.append([{ id: 'x1', run_id: 'b', kind: 'run.completed' }, { id: 'x2', run_id: 'c', kind: 'job.failed', payload: { error: 'no' } }]);
    const runs = new Projector(l).runs();
    expect(runs.map((r) => [r.run_id, r.status, r.event_count, r.workflow_id])).toEqual([
      ['a', 'running', 2, 'wf'],
      ['b', 'completed', 2, 'from-cache'],
      ['c', 'failed', 1, null],
    ]);
    expect(new Projector(l).runs({ status: 'failed' }).map((r) => r.run_id)).toEqual(['c']);
    l.close();
    // A different ledger at the same path is not confused with the cached one.
    fs.rmSync(file);
    for (const s of ['-wal', '-shm']) fs.rmSync(file + s, { force: true });
    const again = ledgerWith([{ run_id: 'z', kind: 'run.started' }]);
    expect(new Projector(again.l).runs().map((r) => r.run_id)).toEqual(['z']);
    again.l.close();
  });

  it('leaves a cache that another session has rewritten since to that session, rather than mixing two folds under one key', () => {
    const { file, l } = ledgerWith([
      { run_id: 'a', kind: 'run.started' },
      { run_id: 'b', kind: 'run.started' },
      { run_id: 'b', kind: 'log' },
    ]);
    const cacheDir = path.join(dir, 'cache');
    const statuses = (ledger: Ledger) => new Projector(ledger).runs().map((r) => [r.run_id, r.status]);
    const first = new Projector(l);
    expect(first.runs().map((r) => [r.run_id, r.status])).toEqual([['a', 'running'], ['b', 'running']]);
    // Another session, whose own rules read a log as its run failing, folds the same ledger into the same cache file.
    const other = Ledger.open(file, { cacheDir, rules: { kinds: [{ match: 'log', entity: 'run', transition: 'failed' }] } });
    expect(statuses(other)).toEqual([['a', 'running'], ['b', 'failed']]);
    other.close();
    // The first session extends its fold by run a's new event; the next session under its rules reads the cache.
    l.append([{ id: 'x1', run_id: 'a', kind: 'run.completed' }]);
    const expected = [['a', 'completed'], ['b', 'running']];
    expect(first.runs().map((r) => [r.run_id, r.status])).toEqual(expected);
    const next = Ledger.open(file, { cacheDir });
    expect(statuses(next)).toEqual(expected);
    next.close();
    l.close();
  });

  it('reports drift field by field against stored runs/node_runs tables in the ledger', () => {
    const { file, l } = ledgerWith([
      { run_id: 'a', kind: 'run.started', payload: { workflow_id: 'wf', version: '1' } },
      { run_id: 'a', kind: 'node.started', payload: { node_id: 'fetch' } },
      { run_id: 'a', kind: 'node.completed', payload: { node_id: 'fetch' } },
      { run_id: 'a', kind: 'run.completed' },
      { run_id: 'b', kind: 'run.started', payload: { workflow_id: 'wf', version: '1' } },
    ]);
    l.close();
    writeStateDb(
      file,
      [['a', 'wf', '1', 'succeeded'], ['b', 'wf', '2', 'failed'], ['ghost', 'wf', '1', 'running']],
      [['a:fetch:1', 'a', 'fetch', 'running', 1], ['a:parse:1', 'a', 'parse', 'completed', 1]],
    );
    const l2 = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    const p = new Projector(l2);
    // "succeeded" and "completed" are the same word of the rules: no drift for run a's status.
    expect(p.run('a').drift).toEqual([
      { table: 'node_runs', key: 'a:fetch:1', run_id: 'a', field: 'status', stored: 'running', rebuilt: 'completed' },
      { table: 'node_runs', key: 'a:parse:1', run_id: 'a', field: 'row', stored: 'present', rebuilt: 'absent' },
    ]);
    expect(p.drift()).toEqual(
      expect.arrayContaining([
        { table: 'runs', key: 'b', run_id: 'b', field: 'version', stored: '2', rebuilt: '1' },
        { table: 'runs', key: 'b', run_id: 'b', field: 'status', stored: 'failed', rebuilt: 'running' },
        { table: 'runs', key: 'ghost', run_id: 'ghost', field: 'row', stored: 'present', rebuilt: 'absent' },
      ]),
    );
    expect(p.drift()).toHaveLength(5);
    l2.close();
  });

  it('has no drift to report where there are no stored tables, and names an unknown run', () => {
    const { l } = ledgerWith([{ run_id: 'a', kind: 'run.started' }]);
    const p = new Projector(l);
    expect(p.run('a').drift).toBeNull();
    expect(p.drift()).toBeNull();
    expect(() => p.run('nope')).toThrow(expect.objectContaining({ code: 'not_found', message: expect.stringContaining('"nope"') }));
    l.close();
  });
});
