// Replay on every layout: the state at step k equals folding events 1..k from scratch.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffStates, foldRun } from '../src/shared/projection.ts';
import type { Mapping } from '../src/shared/ledger.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { exportJsonl } from '../src/main/engine/copy/jsonl-export.ts';
import { createCanonical } from '../src/main/engine/write/create-ledger.ts';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { Projector } from '../src/main/engine/derive/projector.ts';
import { Replay } from '../src/main/engine/derive/replay.ts';
import { tempDir, writeSessionEvents, writeSupervisor } from './fixtures.ts';

let dir: string;
const layouts: Record<string, { path: string; mapping?: Mapping }> = {};

beforeAll(() => {
  dir = tempDir();
  const canonical = path.join(dir, 'canonical.db');
  // Runs of ~150 events with retries, failures and cancellations; the last ones still running.
  generateLedger(canonical, { events: 6000, runs: 40, seed: 11 });
  layouts.canonical = { path: canonical };
  const l = Ledger.open(canonical, { cacheDir: path.join(dir, 'cache') });
  exportJsonl(l, path.join(dir, 'jsonl'), { runs: ['run-b-000001', 'run-b-000002', 'run-b-000003', 'run-b-000039', 'run-b-000040'] });
  l.close();
  layouts.jsonl = { path: path.join(dir, 'jsonl') };

  const sup = path.join(dir, 'supervisor.db');
  const steps = ['plan', 'build', 'test'];
  const supEvents: Parameters<typeof writeSupervisor>[1] = [];
  for (const wf of ['wf-1', 'wf-2', 'wf-3']) {
    supEvents.push({ workflow_id: wf, event_type: 'WORKFLOW_STARTED', payload: { version: '2' } });
    for (const step of steps) {
      supEvents.push({ workflow_id: wf, event_type: 'STEP_STARTED', step_id: step, role: 'worker' });
      if (wf === 'wf-2' && step === 'build') {
        supEvents.push({ workflow_id: wf, event_type: 'STEP_FAILED', step_id: step, payload: { error: 'compile error' } });
        supEvents.push({ workflow_id: wf, event_type: 'STEP_RETRIED', step_id: step });
        supEvents.push({ workflow_id: wf, event_type: 'STEP_STARTED', step_id: step });
      }
      supEvents.push({ workflow_id: wf, event_type: 'GATE_PASSED', step_id: step });
      if (wf === 'wf-3' && step === 'test') break; // still going
      supEvents.push({ workflow_id: wf, event_type: 'STEP_COMPLETED', step_id: step });
    }
    if (wf === 'wf-1') supEvents.push({ workflow_id: wf, event_type: 'WORKFLOW_COMPLETED' });
    if (wf === 'wf-2') supEvents.push({ workflow_id: wf, event_type: 'WORKFLOW_FAILED', payload: { error: 'gave up' } });
  }
  writeSupervisor(sup, supEvents);
  layouts.supervisor = { path: sup };

  const ses = path.join(dir, 'sessions.db');
  const sesEvents: Parameters<typeof writeSessionEvents>[1] = [];
  for (const s of ['s1', 's2']) {
    sesEvents.push({ session_id: s, type: 'agent_start' });
    for (const t of ['t1', 't2']) {
      sesEvents.push({ session_id: s, type: 'task_started', payload: { task_id: t } });
      sesEvents.push({ session_id: s, type: 'tool_call', payload: { task_id: t, tool: 'search' } });
      sesEvents.push({ session_id: s, type: s === 's2' && t === 't2' ? 'task_failed' : 'task_completed', payload: { task_id: t, error: 'timeout' } });
    }
  }
  sesEvents.push({ session_id: 's1', type: 'task_aborted', payload: { task_id: 't2' } });
  writeSessionEvents(ses, sesEvents);
  layouts.session_events = { path: ses };

  const mapped = path.join(dir, 'mapped.db');
  const db = new Database(mapped);
  db.exec('CREATE TABLE log (pk INTEGER PRIMARY KEY, job TEXT, what TEXT, at TEXT, body TEXT)');
  const ins = db.prepare('INSERT INTO log (job, what, at, body) VALUES (?, ?, ?, ?)');
  const kinds = ['job.started', 'stage.started', 'stage.failed', 'stage.started', 'stage.done', 'job.done'];
  kinds.forEach((k, i) => ins.run('j1', k, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), JSON.stringify({ stage: 'compile' })));
  db.close();
  layouts.mapped = { path: mapped, mapping: { table: 'log', order: 'pk', run: 'job', kind: 'what', time: 'at', payload: 'body' } };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const open = (name: string) => Ledger.open(layouts[name]!.path, { cacheDir: path.join(dir, 'cache'), mapping: layouts[name]!.mapping });

describe.each(['canonical', 'jsonl', 'supervisor', 'session_events', 'mapped'])('replay on the %s layout', (name) => {
  it('gives at every checked step the state of a fresh fold of events 1..k, and what that step changed', () => {
    const l = open(name);
    const runs = new Projector(l).runs();
    expect(runs.length).toBeGreaterThan(0);
    let checked = 0;
    for (const r of runs.slice(0, 6)) {
      const events = [...l.iterate({ runs: [r.run_id] })];
      const replay = Replay.open(l, r.run_id);
      expect(replay.steps).toBe(events.length);
      const ks = new Set([0, 1, 2, events.length - 1, events.length, Math.floor(events.length / 2), Math.floor(events.length / 3)]);
      for (const k of ks) {
        if (k < 0 || k > events.length) continue;
        const pos = replay.at(k);
        const expected = foldRun(events.slice(0, k));
        expect(pos.state).toEqual({ run: expected?.run ?? null, node_runs: expected?.node_runs ?? [] });
        expect(pos.changed).toEqual(k === 0 ? { run: [], node_runs: [] } : diffStates(foldRun(events.slice(0, k - 1)), expected));
        expect(pos.event).toEqual(k === 0 ? null : events[k - 1]);
        // What it was before the step: the run, and the earlier form of each node-run the step changed.
        const prior = k === 0 ? null : foldRun(events.slice(0, k - 1));
        expect(pos.before.run).toEqual(prior?.run ?? null);
        expect(pos.before.node_runs).toEqual((prior?.node_runs ?? []).filter((n) => pos.changed.node_runs.includes(n.node_run_id)));
        checked++;
      }
      // The last step equals the run's projection.
      const detail = new Projector(l).run(r.run_id);
      expect(replay.end().state).toEqual({ run: detail.run, node_runs: detail.node_runs });
    }
    expect(checked).toBeGreaterThan(5);
    l.close();
  });
});

/** One long run of 50 nodes, every fifth failing once and retried, so jumps cross many checkpoints. */
function longRun(events: number): Array<{ run_id: string; kind: string; payload: object }> {
  const script: Array<{ run_id: string; kind: string; payload: object }> = [{ run_id: 'long', kind: 'run.started', payload: {} }];
  for (let n = 0; script.length < events - 1; n++) {
    const node_id = `n${n % 50}`;
    script.push({ run_id: 'long', kind: 'node.started', payload: { node_id } });
    for (let i = 0; i < 380; i++) script.push({ run_id: 'long', kind: i % 2 ? 'tool_call' : 'log', payload: { node_id, i } });
    if (n % 5 === 0) {
      script.push({ run_id: 'long', kind: 'node.failed', payload: { node_id, error: 'flaky' } });
      script.push({ run_id: 'long', kind: 'node.retrying', payload: { node_id } });
      script.push({ run_id: 'long', kind: 'node.started', payload: { node_id } });
    }
    script.push({ run_id: 'long', kind: 'node.completed', payload: { node_id } });
  }
  return script.slice(0, events);
}

describe('replay navigation', () => {
  it('steps, jumps across checkpoints, and finds the next failure, kind or node', () => {
    const file = path.join(dir, 'long.db');
    createCanonical(file);
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    l.append(longRun(20_000));
    const events = [...l.iterate()];
    const replay = Replay.open(l, events[0]!.run_id);
    expect(replay.steps).toBe(20_000);
    for (const k of [257, 5000, 12_345, 19_999, 256, 1]) expect(replay.at(k).state).toEqual({ run: foldRun(events.slice(0, k))!.run, node_runs: foldRun(events.slice(0, k))!.node_runs });
    replay.at(10);
    expect(replay.forward().step).toBe(11);
    expect(replay.back().step).toBe(10);
    expect(replay.end().step).toBe(20_000);
    expect(replay.forward().step).toBe(20_000);
    replay.at(0);
    expect(replay.back().step).toBe(0);

    const failures = events.map((e, i) => [e, i + 1] as const).filter(([e]) => e.kind.endsWith('failed')).map(([, k]) => k);
    expect(failures.length).toBeGreaterThan(1);
    replay.at(0);
    expect(replay.find({ failure: true })).toBe(failures[0]);
    replay.at(failures[0]!);
    expect(replay.find({ failure: true })).toBe(failures[1]);
    expect(replay.find({ failure: true }, -1)).toBe(null);
    replay.at(failures[1]!);
    expect(replay.find({ failure: true }, -1)).toBe(failures[0]);

    const firstRetry = events.findIndex((e) => e.kind === 'node.retrying') + 1;
    replay.at(0);
    expect(replay.find({ kind: 'node.retrying' })).toBe(firstRetry);
    const node = JSON.parse(events[5000]!.payload).node_id as string;
    replay.at(5000);
    const nextOfNode = events.findIndex((e, i) => i >= 5000 && JSON.parse(e.payload).node_id === node) + 1;
    expect(replay.find({ node })).toBe(nextOfNode);
    expect(() => replay.at(20_001)).toThrow(/outside 0\.\.20000/);
    l.close();
  });
});

describe('replay of a large run, indexed lazily', () => {
  it('answers its first step before its index is complete, and every later jump equals a fully indexed replay', async () => {
    const file = path.join(dir, 'one-run.db');
    createCanonical(file);
    const l = Ledger.open(file, { cacheDir: path.join(dir, 'cache') });
    for (let i = 0, script = longRun(50_000); i < script.length; i += 10_000) l.append(script.slice(i, i + 10_000));
    const run = 'long';
    const full = Replay.open(l, run);
    await full.whenIndexed();
    expect(full.indexed).toBe(50_000);

    const lazy = Replay.open(l, run);
    expect(lazy.steps).toBe(50_000);
    expect(lazy.at(1)).toEqual(full.at(1));
    expect(lazy.indexed).toBeLessThan(lazy.steps);
    // Jumps ahead of the index, back into it, to the end, then across every checkpoint interval.
    let x = 7;
    const ks = [2, 30_000, 17, 49_999, 50_000, 1];
    for (let i = 0; i < 40; i++) ks.push(1 + ((x = (x * 1103515245 + 12345) % 2 ** 31) % 50_000));
    for (const k of ks) expect(lazy.at(k), `step ${k}`).toEqual(full.at(k));

    // Finding needs the steps of what it meets: a failure past the index is found, at its exact step.
    const finder = Replay.open(l, run);
    full.at(0);
    const failures: number[] = [];
    for (let f = full.find({ failure: true }); f !== null; f = full.find({ failure: true })) failures.push(full.at(f).step);
    expect(failures.length).toBeGreaterThan(2);
    finder.at(failures.at(-2)!);
    expect(finder.find({ failure: true })).toBe(failures.at(-1));
    expect(finder.find({ failure: true }, -1)).toBe(failures.at(-3));

    // Left alone, the index completes by itself, and its last step is the run's projection.
    const idle = Replay.open(l, run);
    await idle.whenIndexed();
    expect(idle.indexed).toBe(50_000);
    const detail = new Projector(l).run(run);
    expect(idle.end().state).toEqual({ run: detail.run, node_runs: detail.node_runs });

    // A ledger closed mid-index stops the build, and says so.
    const orphan = Replay.open(l, run);
    l.close();
    await expect(orphan.whenIndexed()).rejects.toThrow();
  });
});

describe('CLI runs, run and replay', () => {
  const BIN = path.join(import.meta.dirname, '../bin/ledger-inspector.js');
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args, '--json'], { encoding: 'utf8', env: { ...process.env, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout);
  };

  it.each(['canonical', 'jsonl', 'supervisor', 'session_events', 'mapped'])('works on the %s layout; the last replay step equals `run`', (name) => {
    const { path: p, mapping } = layouts[name]!;
    const map = mapping ? ['--map', Object.entries(mapping).map(([k, v]) => `${k}=${v}`).join(',')] : [];
    const runs = cli([...map, 'runs', p]);
    expect(runs.length).toBeGreaterThan(0);
    const id = runs[0].run_id;
    const detail = cli([...map, 'run', p, id]);
    expect(detail.run).toEqual(runs[0]);
    const last = cli([...map, 'replay', p, id, '--step', String(detail.run.event_count)]);
    expect(last).toMatchObject({ step: detail.run.event_count, steps: detail.run.event_count, state: { run: detail.run, node_runs: detail.node_runs } });
    const zero = cli([...map, 'replay', p, id, '--step', '0']);
    expect(zero).toEqual({ step: 0, steps: detail.run.event_count, event: null, state: { run: null, node_runs: [] }, changed: { run: [], node_runs: [] }, before: { run: null, node_runs: [] } });
    const failed = cli([...map, 'runs', p, '--status', 'failed']);
    expect(failed.every((r: { status: string }) => r.status === 'failed')).toBe(true);
  });

  it('shows the supervisor workflow that failed, with its retried step', () => {
    const d = cli(['run', layouts.supervisor!.path, 'wf-2']);
    expect(d.run).toMatchObject({ status: 'failed', error: 'gave up', version: '2' });
    // A failed attempt that was retried stays failed, marked retried (docs/projections.md).
    expect(d.node_runs.map((n: { node_id: string; attempt: number; status: string; retried: boolean }) => [n.node_id, n.attempt, n.status, n.retried])).toEqual([
      ['plan', 1, 'completed', false],
      ['build', 1, 'failed', true],
      ['build', 2, 'completed', false],
      ['test', 1, 'completed', false],
    ]);
    const s = cli(['run', layouts.session_events!.path, 's1']);
    // t2 of s1 was aborted: not all completed, none running or failed.
    expect(s.run).toMatchObject({ status: 'unknown', status_derived: true });
  });
});
