// The CLI as a user runs it: a real process, real files, exit codes and one-line errors.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, seedLine, tempDir, writeSessionEvents, writeSupervisor } from './fixtures.ts';
import { BIN, runCli } from './helpers/cli.ts';

let dir: string;
let gen: string;

const cli = (args: string[], input?: string) => runCli(args, { cacheDir: path.join(dir, 'cache'), input });
const json = (args: string[]) => {
  const r = cli([...args, '--json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
};

beforeAll(() => {
  dir = tempDir();
  gen = path.join(dir, 'gen.db');
  expect(cli(['generate', gen, '--events', '5000', '--runs', '30', '--seed', '4']).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ledger-inspector CLI', () => {
  it('stats --json gives layout, counts, offsets and kinds', () => {
    const s = json(['stats', gen]);
    expect(s).toMatchObject({ layout: 'canonical', events: 5000, runs: 30, first_offset: 1, last_offset: 5000 });
    expect(Object.values(s.kinds as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(5000);
    expect(s.kinds['run.started']).toBe(30);
    const human = cli(['stats', gen]);
    expect(human.out).toMatch(/layout\s+canonical/);
    expect(human.out).toMatch(/events\s+5,000/);
  });

  it('query filters and pages like seed 002 answers: {events, last_offset, has_more}', () => {
    const p = json(['query', gen, '--kind', 'node.failed', '--limit', '3']);
    expect(p.events).toHaveLength(3);
    expect(p.events.every((e: { kind: string }) => e.kind === 'node.failed')).toBe(true);
    expect(p).toMatchObject({ has_more: true, last_offset: p.events[2].offset });
    const next = json(['query', gen, '--kind', 'node.failed', '--limit', '3', '--after', String(p.last_offset)]);
    expect(next.events[0].offset).toBeGreaterThan(p.last_offset);
    const where = json(['query', gen, '--where', '$.attempt=2', '--kind', 'node.started', '--limit', '1000']);
    expect(where.events.length).toBeGreaterThan(0);
    expect(where.events.every((e: { payload: string }) => JSON.parse(e.payload).attempt === 2)).toBe(true);
    const run = p.events[0].run_id;
    const seq = json(['query', gen, '--run', run, '--since-seq', '5', '--limit', '2']);
    expect(seq.events.map((e: { seq: number }) => e.seq)).toEqual([6, 7]);
    const text = cli(['query', gen, '--text', '处理用户请求', '--limit', '2']);
    expect(text.code).toBe(0);
    expect(text.out.trim().split('\n')).toHaveLength(2);
    expect(text.out).toContain('处理用户请求');
    // A listing cut short says how to read on, backwards where it was read backwards.
    expect(cli(['query', gen, '--limit', '2']).err).toBe(`… more after offset 2 (use --after 2, or --all)\n`);
    expect(cli(['query', gen, '--last', '--limit', '2']).err).toBe(`… more before offset 4999 (use --before 4999)\n`);
    expect(cli(['query', gen, '--before', '100', '--limit', '2']).err).toBe(`… more before offset 98 (use --before 98)\n`);
    // Forward and backward at once was answered as backward alone, the --after left unsaid.
    expect(cli(['query', gen, '--before', '10', '--after', '5'])).toMatchObject({ code: 2, err: expect.stringContaining('--after reads forward from an offset, and --before backward: give one of them') });
    expect(cli(['query', gen, '--last', '--after', '5'])).toMatchObject({ code: 2, err: expect.stringContaining('and --last backward') });
  });

  it('append creates a canonical ledger, reports duplicates, and mirrors to JSONL', () => {
    const file = path.join(dir, 'new.db');
    const input = path.join(dir, 'in.jsonl');
    fs.writeFileSync(input, ['{"id":"e1","run_id":"r","kind":"run.started"}', '{"id":"e2","run_id":"r","kind":"run.completed"}', ''].join('\n'));
    expect(json(['append', file, '--file', input, '--mirror', path.join(dir, 'mirror')])).toMatchObject({ appended: 2, duplicates: 0 });
    const again = cli(['append', file], '{"id":"e1","run_id":"r","kind":"run.started"}\n{"id":"e3","run_id":"r","kind":"note"}\n');
    expect(again).toMatchObject({ code: 0, out: 'appended 1, already present 1\n' });
    expect(json(['query', file]).events.map((e: { id: string; seq: number }) => [e.id, e.seq])).toEqual([['e1', 1], ['e2', 2], ['e3', 3]]);
    expect(fs.readFileSync(path.join(dir, 'mirror', 'r.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    // A byte-order mark before the first line, as some editors save, is no part of it.
    expect(cli(['append', file], '\uFEFF{"id":"e4","run_id":"r","kind":"note"}\n')).toMatchObject({ code: 0, out: 'appended 1, already present 0\n' });
  });

  it('imports and exports JSONL stores', () => {
    const out = path.join(dir, 'exported');
    expect(json(['export-jsonl', gen, out])).toEqual({ events: 5000, files: 30 });
    const back = path.join(dir, 'back.db');
    expect(json(['import-jsonl', out, back])).toMatchObject({ events: 5000, duplicates: 0 });
    expect(json(['stats', back])).toMatchObject({ events: 5000, runs: 30 });
    expect(json(['stats', out])).toMatchObject({ layout: 'jsonl', events: 5000, runs: 30 });
  });

  it('opens every layout', () => {
    const sup = path.join(dir, 'sup.db');
    writeSupervisor(sup, [{ workflow_id: 'w', event_type: 'WORKFLOW_STARTED' }]);
    const ses = path.join(dir, 'ses.db');
    writeSessionEvents(ses, [{ session_id: 's', type: 'agent_start' }]);
    const jl = path.join(dir, 'one.jsonl');
    fs.writeFileSync(jl, seedLine('x', 'run.started', {}, 5));
    expect(json(['stats', sup]).layout).toBe('supervisor');
    expect(json(['stats', ses]).layout).toBe('session_events');
    expect(json(['stats', jl]).layout).toBe('jsonl');
    const mapped = json(['--map', 'table=session_events,order=id,run=session_id,kind=type,payload=payload', 'stats', ses]);
    expect(mapped).toMatchObject({ layout: 'mapped', events: 1 });
  });

  it('prints one line naming the problem and the file, no stack trace, and a non-zero exit', () => {
    const bad = path.join(dir, 'bad.db');
    fs.writeFileSync(bad, 'x'.repeat(5000));
    const before = fingerprint(bad);
    const cases: Array<[string[], RegExp, number]> = [
      [['stats', path.join(dir, 'nope.db')], /^ledger-inspector: no such file \(.*nope\.db\)\n$/, 1],
      [['stats', bad], /^ledger-inspector: not a SQLite database or JSONL ledger \(.*bad\.db\)\n$/, 1],
      [['query', gen, '--from', 'yesterday'], /^ledger-inspector: --from "yesterday": expected an ISO-8601 time, e\.g\. 2024-05-01T12:00:00Z\n$/, 2],
      [['query', gen, '--limit', 'ten'], /^ledger-inspector: --limit takes a whole number, not "ten"\n$/, 2],
      [['append', gen], /^ledger-inspector: line 1 is not JSON: .*\(standard input\)\n$/, 1],
      [['generate', gen, '--events', '10'], /^ledger-inspector: the destination already exists; choose a new file \(.*gen\.db\)\n$/, 1],
    ];
    for (const [args, pattern, code] of cases) {
      const r = cli(args, args[0] === 'append' ? 'oops\n' : undefined);
      expect(r.err).toMatch(pattern);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(code);
    }
    expect(cli(['frobnicate']).code).toBe(2);
    expect(fingerprint(bad)).toEqual(before);
  });

  it('snapshot copies whole or in part, search uses the full-text index, tail follows until interrupted', async () => {
    const full = path.join(dir, 'snap-full.db');
    expect(json(['snapshot', gen, full])).toMatchObject({ path: full });
    expect(json(['stats', full])).toMatchObject({ events: 5000 });
    const part = path.join(dir, 'snap-part.db');
    expect(json(['snapshot', gen, part, '--up-to-offset', '100'])).toMatchObject({ path: part });
    expect(json(['stats', part])).toMatchObject({ events: 100 });
    expect(json(['query', part, '--last', '--limit', '1']).events[0].offset).toBe(100);

    const found = json(['search', gen, 'UPSTREAM did', '--kind', 'node.failed']);
    expect(found.indexed).toBe(true);
    expect(found.events.length).toBeGreaterThan(0);
    expect(found.events.every((e: { kind: string; payload: string }) => e.kind === 'node.failed' && e.payload.includes('upstream did'))).toBe(true);

    const live = path.join(dir, 'live.db');
    cli(['append', live], '{"id":"a","run_id":"r","kind":"first"}\n');
    const child = spawn(process.execPath, [BIN, 'tail', live, '--json', '--lines', '1'], { env: { ...process.env, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') } });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    const lines = () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).id);
    const waitFor = async (n: number) => {
      for (let i = 0; i < 300 && lines().length < n; i++) await new Promise((r) => setTimeout(r, 50));
    };
    await waitFor(1);
    cli(['append', live], '{"id":"b","run_id":"r","kind":"second"}\n{"id":"c","run_id":"r","kind":"third"}\n');
    await waitFor(3);
    expect(lines()).toEqual(['a', 'b', 'c']);
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  });
});
