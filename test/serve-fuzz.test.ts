// A bounded fuzzer of the contract over serve mode's WebSocket: calls built from the
// contract's own method list with arguments that are right, a little wrong or wildly
// wrong. Every answer must be a typed response, the server must live through all of
// them, and nothing may be written outside the folders serve allows.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ERROR_CODES } from '../src/shared/errors.ts';
import { METHODS } from '../src/shared/contract.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { tempDir } from './fixtures.ts';
import { serveProcess } from './helpers/serve-process.ts';

const CALLS_TRIED = 1500;
let dir: string;
let outside: string;
let server: ChildProcess;
let url: string;

beforeAll(async () => {
  dir = tempDir();
  outside = tempDir();
  fs.mkdirSync(path.join(dir, 'ledgers'));
  generateLedger(path.join(dir, 'ledgers', 'l.db'), { events: 2000, runs: 12 });
  ({ server, url } = await serveProcess(path.join(dir, 'ledgers', 'l.db'), path.join(dir, 'cache')));
});
afterAll(() => {
  server.kill('SIGINT');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

/** A small seeded generator (mulberry32): the same run of calls every time, so a failure repeats. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it(`answers ${CALLS_TRIED} fuzzed contract calls with typed responses and keeps serving`, async () => {
  const rand = rng(20261201);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const ws = new WebSocket(`${url.replace('http', 'ws').replace('/?', '/ws?')}`);
  const pending = new Map<number, (m: any) => void>();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (typeof m.id === 'number' && 'ok' in m) pending.get(m.id)?.(m);
  });
  await new Promise((r) => ws.once('open', r));
  let next = 1;
  const call = (method: unknown, args: unknown, job?: string) =>
    new Promise<any>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, args, ...(job ? { job } : {}) }));
    });

  const opened = await call('open', { path: path.join(dir, 'ledgers', 'l.db') });
  expect(opened.ok).toBe(true);
  const ledger = opened.result.ledger as string;
  const replay = (await call('replayOpen', { ledger, run_id: 'run-1-000001' }, 'r0')).result?.replay ?? 'none';

  // Values a field might be given: right ones, edge ones and hostile ones.
  const inside = (name: string) => path.join(dir, 'ledgers', name);
  const values: unknown[] = [
    ledger, replay, 'run-1-000001', 'node.failed', 0, 1, -1, 2 ** 31, 2 ** 53, 1e308, -0, 0.5, NaN, null, true, '', 'x'.repeat(5000),
    's\ud800', '$..x', '$.attempt', '../../etc/passwd', '/etc/passwd', path.join(outside, 'x.db'), inside('fuzz-out.db'), inside('fuzz-dir'),
    [], [1, 2], ['a'], Array(50).fill('k'), {}, { a: 1 }, { __proto__: { polluted: 1 } }, { kinds: ['run.started'] }, { text: 'timeout' },
    { json_path: { path: '$.attempt', value: 2 } }, { since_seq: 1, runs: ['run-1-000001'] }, { limit: 5 }, { query: {}, limit: 3 },
  ];
  const fieldNames = ['ledger', 'path', 'dest', 'dir', 'src', 'query', 'start', 'count', 'offset', 'request', 'field', 'limit', 'buckets', 'events', 'run_id', 'status', 'replay', 'step', 'from', 'dir', 'kind', 'failure', 'node', 'follow', 'job', 'up_to_offset', 'runs', 'seed', 'mapping'];
  // Arguments known to be valid for some calls, to reach past validation into the engine.
  const valid: Record<string, () => unknown> = {
    rows: () => ({ ledger, start: Math.floor(rand() * 3000), count: 1 + Math.floor(rand() * 300), ...(rand() < 0.5 ? { query: pick(values.filter((v) => v && typeof v === 'object' && !Array.isArray(v))) } : {}) }),
    page: () => ({ ledger, request: { limit: 1 + Math.floor(rand() * 50), after: Math.floor(rand() * 2500) } }),
    event: () => ({ ledger, offset: Math.floor(rand() * 2500) - 200 }),
    facets: () => ({ ledger, field: pick(['run_id', 'kind', 'actor', 'session_id', 'model_id']) }),
    replayAt: () => ({ replay, step: Math.floor(rand() * 400) }),
    locate: () => ({ ledger, offset: Math.floor(rand() * 2500) }),
  };
  const counts = { tried: 0, ok: 0, typedErrors: 0 };
  for (let i = 0; i < CALLS_TRIED; i++) {
    const r = rand();
    const method = r < 0.9 ? pick(METHODS) : pick(['nope', '', 42, null, '__proto__', 'constructor']);
    let args: unknown;
    if (typeof method === 'string' && Object.hasOwn(valid, method) && rand() < 0.5) args = valid[method]!();
    else if (rand() < 0.1) args = pick(values);
    else {
      const o: Record<string, unknown> = {};
      const n = Math.floor(rand() * 4);
      for (let k = 0; k < n; k++) o[pick(fieldNames)] = pick(values);
      if (rand() < 0.7) o.ledger = ledger;
      args = o;
    }
    // Shell state and jobs that would take long are left to their own tests.
    if (method === 'close' || method === 'generate') continue;
    const res = await call(method, args, rand() < 0.2 ? `job-${i}` : undefined);
    counts.tried++;
    expect(typeof res.ok).toBe('boolean');
    if (res.ok) counts.ok++;
    else {
      expect(ERROR_CODES).toContain(res.error.code);
      expect(res.error.code, `${String(method)} ${JSON.stringify(args)?.slice(0, 300)}: ${res.error.message}`).not.toBe('internal');
      expect(res.error.message).not.toMatch(/\n\s+at /);
      counts.typedErrors++;
    }
  }
  ws.close();
  console.log(`contract fuzzer: ${counts.tried} calls tried, ${counts.ok} answered, ${counts.typedErrors} refused with a typed error, 0 unhandled`);
  expect(counts.tried).toBeGreaterThan(CALLS_TRIED * 0.8);
  expect(server.exitCode).toBeNull();
  expect(fs.readdirSync(outside)).toEqual([]);
});
