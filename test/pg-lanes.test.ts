// Each of the engine host's workers holds every open ledger. A worker that took an
// open while the database server was down (a lane started at its first call, as the
// CLI's are) takes it again once the server is back, instead of answering for ever
// that no such ledger is open. A real server, stopped and started again.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EngineHost } from '../src/main/host/host.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { canonicalFromSqlite } from './helpers/pg-fixtures.ts';
import { startPgServer, type PgServer } from './helpers/pg-server.ts';

let server: PgServer;
let dir: string;

beforeAll(async () => {
  server = await startPgServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pgh-'));
  const db = path.join(dir, 'ledger.db');
  generateLedger(db, { events: 2000, runs: 10, seed: 3 });
  server.createDb('team');
  canonicalFromSqlite(server, 'team', db);
});

afterAll(() => {
  server?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('a background call answers once the server that was down as its worker took the open is back', async () => {
  const host = new EngineHost({ cacheDir: path.join(dir, 'cache'), lanesOnDemand: true, log: () => {} });
  try {
    const opened = await host.request({ id: 1, method: 'open', args: { path: `${server.url('team')}?table=events` } });
    expect(opened.ok).toBe(true);
    const ledger = (opened as { result: { ledger: string } }).result.ledger;
    server.stop();
    // The background lane's worker starts now, and its copy of the open fails.
    expect(await host.request({ id: 2, method: 'count', args: { ledger }, job: crypto.randomUUID() })).toMatchObject({ ok: false });
    server.start();
    expect(await host.request({ id: 3, method: 'count', args: { ledger }, job: crypto.randomUUID() })).toMatchObject({ ok: true, result: 2000 });
  } finally {
    await host.close();
  }
});
