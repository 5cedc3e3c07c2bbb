// Ledgers of the tools people use: a LangGraph checkpoint database written by the real
// @langchain/langgraph with its SQLite saver, and an Emmett event store.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../src/main/engine/open/ledger.ts';
import { Projector } from '../src/main/engine/derive/projector.ts';
import { Replay } from '../src/main/engine/derive/replay.ts';
import { fingerprint, tempDir } from './fixtures.ts';
import { writeEmmett, writeLangGraph } from './helpers/frameworks.ts';

let dir: string;
let lg: string;
let emt: string;
beforeAll(async () => {
  dir = tempDir();
  lg = path.join(dir, 'checkpoints.db');
  emt = path.join(dir, 'emmett.db');
  await writeLangGraph(lg);
  writeEmmett(emt);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const open = (p: string) => Ledger.open(p, { cacheDir: path.join(dir, 'cache'), dataDir: null });

describe('LangGraph checkpoints written by @langchain/langgraph-checkpoint-sqlite', () => {
  it('opens with no mapping, leaves the file unchanged, and makes each thread a run', () => {
    const before = fingerprint(lg);
    const l = open(lg);
    const stats = l.stats();
    expect(stats).toMatchObject({ layout: 'langgraph', runs: 2, mapping: { how: 'layout' }, rules: { how: 'layout' } });
    expect(Object.keys(stats.kinds).sort()).toEqual(['checkpoint', 'command.resume', 'task.error', 'task.interrupt', 'task.resume', 'task.start', 'task.write']);
    const runs = new Projector(l).runs();
    expect(runs.map((r) => [r.run_id, r.status])).toEqual([
      ['thread-1', 'completed'],
      ['thread-2', 'completed'],
    ]);
    l.close();
    expect(fingerprint(lg)).toEqual(before);
  });

  it('lists checkpoints in checkpoint order following parent links, with their state and what changed', () => {
    const l = open(lg);
    const cps = l.page({ query: { runs: ['thread-1'], kinds: ['checkpoint'] }, payload: 'full' }).events.map((e) => JSON.parse(e.payload));
    expect(cps.map((c) => c.step)).toEqual([-1, 0, 1, 2, 3]);
    for (let i = 1; i < cps.length; i++) expect(cps[i].parent_checkpoint_id).toBe(cps[i - 1].checkpoint_id);
    expect(cps.at(-1).values).toMatchObject({ items: ['planned', 'fetched', 'reviewed'], approved: true });
    expect(cps[2].changed).toContain('items');
    l.close();
  });

  it("names each task's node; the error write is a failed attempt, the next run of the task a second attempt; the interrupt is shown", () => {
    const l = open(lg);
    const d = new Projector(l).run('thread-1');
    expect(d.node_runs.map((n) => [n.node_id, n.attempt, n.status, n.error])).toEqual([
      ['__start__', 1, 'completed', null],
      ['plan', 1, 'completed', null],
      ['fetch', 1, 'failed', 'upstream timed out'],
      ['fetch', 2, 'completed', null],
      ['review', 1, 'completed', null],
    ]);
    const interrupt = l.page({ query: { runs: ['thread-1'], kinds: ['task.interrupt'] }, payload: 'full' }).events[0]!;
    expect(interrupt.node_id).toBe('review');
    expect(JSON.parse(interrupt.payload).value[0].value).toEqual({ question: 'approve?' });
    const write = l.page({ query: { runs: ['thread-1'], kinds: ['task.write'], json_path: { path: '$.channel', value: 'approved' } }, payload: 'full' }).events[0]!;
    expect(JSON.parse(write.payload)).toMatchObject({ node: 'review', channel: 'approved', value: true });
    l.close();
  });

  it('replays a thread step by step to the state of its last checkpoint, finding the failure', () => {
    const l = open(lg);
    const r = Replay.open(l, 'thread-1');
    const fail = r.find({ failure: true })!;
    const at = r.at(fail);
    expect(at.event!.kind).toBe('task.error');
    expect(at.state.node_runs.find((n) => n.node_id === 'fetch')).toMatchObject({ status: 'failed', attempt: 1 });
    expect(at.changed.node_runs).toEqual(['thread-1:fetch:1']);
    const end = r.end();
    expect(end.event!.kind).toBe('checkpoint');
    expect(end.state.run).toEqual(new Projector(l).run('thread-1').run);
    l.close();
  });
});

describe('Emmett event stores (emt_messages)', () => {
  it('makes a stream a run, stream_position its seq, global_position the order; OrderPlaced/PaymentFailed read through camel-case', () => {
    const before = fingerprint(emt);
    const l = open(emt);
    expect(l.stats()).toMatchObject({ layout: 'emmett', events: 5, runs: 2 });
    const events = l.page({ payload: 'full' }).events;
    expect(events.map((e) => [e.offset, e.run_id, e.seq, e.kind])).toEqual([
      [1, 'order-1', 1, 'OrderPlaced'],
      [2, 'order-1', 2, 'PaymentSucceeded'],
      [3, 'order-2', 1, 'OrderPlaced'],
      [4, 'order-1', 3, 'OrderCompleted'],
      [5, 'order-2', 2, 'PaymentFailed'],
    ]);
    expect(events[0]!.payload).toBe('{"orderId":"order-1","amount":12.5}');
    expect(events[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(l.page({ query: { runs: ['order-1'], since_seq: 1 } }).events.map((e) => e.seq)).toEqual([2, 3]);
    const runs = new Projector(l).runs();
    expect(runs.map((r) => [r.run_id, r.status, r.error])).toEqual([
      ['order-1', 'completed', null],
      ['order-2', 'failed', 'card declined'],
    ]);
    l.close();
    expect(fingerprint(emt)).toEqual(before);
  });

  it('marks archived messages', () => {
    const l = open(emt);
    expect(l.page().events.map((e) => e.archived)).toEqual([false, false, true, false, false]);
    expect(l.event(3)!.archived).toBe(true);
    l.close();
  });

  it('stats --json reports the layout and its rules; --rules replaces them', () => {
    const bin = path.join(import.meta.dirname, '../bin/ledger-inspector.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') } });
    const stats = JSON.parse(run('stats', emt, '--json').stdout);
    expect(stats.mapping).toEqual({ how: 'layout', mapping: null });
    expect(stats.rules).toEqual({ how: 'layout', rules: { kinds: [{ match: '*', entity: 'run' }] } });
    const rules = path.join(dir, 'rules.json');
    fs.writeFileSync(rules, JSON.stringify({ kinds: [{ match: 'Payment*', entity: 'node', transition: null }, { match: 'Order*', entity: 'run' }] }));
    const r = run('--rules', rules, 'runs', emt, '--json');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).map((x: { status: string }) => x.status)).toEqual(['completed', 'unknown']);
    expect(JSON.parse(run('--rules', rules, 'stats', emt, '--json').stdout).rules.how).toBe('given');
    fs.writeFileSync(rules, '{"kinds": [{"match": "x", "entity": "bogus"}]}');
    const bad = run('--rules', rules, 'runs', emt);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/rules[.:] ?kinds\.0\.entity/);
  });
});
