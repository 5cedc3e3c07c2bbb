// The mapping editor's store against the real engine (EngineService behind the
// contract's own client, in process): guesses, live preview, rules, save and reopen.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, validateRequest, type WorkerMethod } from '../src/shared/contract.ts';
import { LedgerError } from '../src/shared/errors.ts';
import { EngineService } from '../src/main/host/service.ts';
import { createMappingStore } from '../src/renderer/lib/mapping-store.ts';
import { createAppStore } from '../src/renderer/lib/store.ts';
import { tempDir } from './fixtures.ts';

let dir: string;
let service: EngineService;
beforeEach(() => {
  dir = tempDir();
  process.env.LEDGER_INSPECTOR_DATA = path.join(dir, 'data');
  service = new EngineService({ cacheDir: path.join(dir, 'cache'), push: () => {} });
});
afterEach(() => {
  service.closeAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

function engineClient() {
  const calls: string[] = [];
  const client = createClient({
    async request(req) {
      calls.push(req.method);
      try {
        const { method, args } = validateRequest(req);
        const handler = service.handlers[method as WorkerMethod] as (a: unknown, c: object, e: object) => unknown;
        return { id: req.id, ok: true, result: handler ? await handler(args, {}, {}) : null };
      } catch (e) {
        const err = e instanceof LedgerError ? e : new LedgerError('internal', String(e));
        return { id: req.id, ok: false, error: { code: err.code, message: err.message } };
      }
    },
    subscribe: () => () => {},
  });
  return { client, calls };
}

/** Resolves once the store's state passes the test (the preview is debounced and asynchronous). */
function until<T>(store: { getState(): T; subscribe(f: (s: T) => void): () => void }, ok: (s: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    if (ok(store.getState())) return resolve(store.getState());
    const off = store.subscribe((s) => {
      if (ok(s)) {
        off();
        resolve(s);
      }
    });
  });
}

function writeAudit(file: string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE audit (pk INTEGER PRIMARY KEY, job TEXT, what TEXT, body TEXT); CREATE TABLE other (x TEXT)');
  const ins = db.prepare('INSERT INTO audit (job, what, body) VALUES (?, ?, ?)');
  ins.run('a', 'job.started', '{}');
  ins.run('a', 'job.failed', '{"error":"no"}');
  ins.run('b', 'job.started', '{}');
  db.close();
}

describe('mapping editor store', () => {
  it('starts from the tables of an unrecognised file, previews each draft, and saves what reopening uses', async () => {
    const file = path.join(dir, 'audit.db');
    writeAudit(file);
    const { client } = engineClient();
    const app = createAppStore(client);
    await app.getState().open(file);
    expect(app.getState().error).toMatchObject({ code: 'unrecognised', path: file });
    const m = createMappingStore(client, app);
    await m.getState().start(file);
    expect(m.getState().tables.map((t) => t.table).sort()).toEqual(['audit', 'other']);
    m.getState().setTable('audit');
    m.getState().setRole('order', 'pk');
    m.getState().setRole('run', 'job');
    m.getState().setRole('kind', 'what');
    m.getState().setRole('payload', 'body');
    // Only the last draft's preview is shown: the changes above are one debounced request.
    let s = await until(m, (x) => x.preview !== null);
    expect(s.preview!.events.map((e) => [e.offset, e.run_id, e.kind])).toEqual([
      [1, 'a', 'job.started'],
      [2, 'a', 'job.failed'],
      [3, 'b', 'job.started'],
    ]);
    expect(s.preview!.runs.map((r) => [r.run_id, r.status])).toEqual([
      ['a', 'failed'],
      ['b', 'running'],
    ]);
    m.getState().setRole('kind', 'body');
    s = await until(m, (x) => x.preview?.events[0]?.kind === '{}');
    m.getState().setRole('kind', 'what');
    m.getState().setRulesText('{"kinds": [');
    s = await until(m, (x) => x.problem !== null);
    expect(s.problem).toMatch(/the rules are not JSON/);
    expect(s.preview).toBeNull();
    m.getState().setRulesText('{"kinds": [{"match": "job.started", "entity": "run", "transition": "completed"}]}');
    s = await until(m, (x) => x.preview !== null);
    expect(s.preview!.runs.map((r) => [r.run_id, r.status])).toEqual([
      ['a', 'failed'],
      ['b', 'completed'],
    ]);
    m.getState().setRulesText('{"kinds": [{"match": "x", "entity": "bogus"}]}');
    s = await until(m, (x) => x.problem !== null);
    expect(s.problem).toMatch(/rules\.kinds\.0\.entity/);
    m.getState().setRulesText('{"kinds": [{"match": "job.started", "entity": "run", "transition": "completed"}]}');
    await until(m, (x) => x.preview !== null);

    await m.getState().save();
    expect(m.getState().path).toBeNull();
    const info = app.getState().info!;
    expect(info.mapping).toEqual({ how: 'saved', mapping: { table: 'audit', order: 'pk', run: 'job', kind: 'what', payload: 'body', time_format: 'iso' } });
    expect(info.rules.how).toBe('saved');
    expect(app.getState().error).toBeNull();

    // Reopened (a new engine, as on a new launch), the file opens with what was saved, and the editor starts from it.
    service.closeAll();
    service = new EngineService({ cacheDir: path.join(dir, 'cache'), push: () => {} });
    const again = engineClient();
    const app2 = createAppStore(again.client);
    await app2.getState().open(file);
    expect(app2.getState().info?.mapping.how).toBe('saved');
    const m2 = createMappingStore(again.client, app2);
    await m2.getState().start(file);
    expect(m2.getState().draft).toMatchObject({ table: 'audit', run: 'job', kind: 'what' });
    expect(JSON.parse(m2.getState().rulesText)).toEqual({ kinds: [{ match: 'job.started', entity: 'run', transition: 'completed' }] });
    m2.getState().close();
  });
});
