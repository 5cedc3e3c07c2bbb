// The thread side of SyncPg: one `pg` client, answering one request at a time. The
// engine thread blocks on a shared flag until the answer is posted, so the engine
// stays synchronous over an asynchronous driver. A dropped connection is noted and
// the next request connects again: a server that comes back is used again.
import pg from 'pg';
import { workerData, type MessagePort } from 'node:worker_threads';
import type { PgReply, PgRequest } from './sync-client.ts';

// Offsets and counts are bigints; as numbers they stay exact up to 2^53, far past any ledger.
pg.types.setTypeParser(20, (v) => Number(v));
// Times and JSON reach the engine as the server prints them: text, byte for byte.
for (const oid of [114, 3802, 1082, 1114, 1184]) pg.types.setTypeParser(oid, (v) => v);

const flag = new Int32Array(workerData.flag as SharedArrayBuffer);
const port = workerData.port as MessagePort;
const config = workerData.config as pg.ClientConfig;

let client: pg.Client | null = null;

async function connected(): Promise<pg.Client> {
  if (client) return client;
  const c = new pg.Client(config);
  // A connection lost between requests must not end the thread: the next request reconnects.
  c.on('error', () => {
    if (client === c) client = null;
  });
  c.on('end', () => {
    if (client === c) client = null;
  });
  c.on('notification', () => notified++);
  await c.connect();
  client = c;
  return c;
}

let notified = 0;

/** A statement's rows, as arrays or as objects keyed by column. */
async function run(c: pg.Client, sql: string, params: unknown[], array?: boolean): Promise<unknown[]> {
  return array ? (await c.query({ text: sql, values: params, rowMode: 'array' })).rows : (await c.query({ text: sql, values: params })).rows;
}

async function handle(req: PgRequest): Promise<PgReply> {
  if (req.op === 'end') {
    await client?.end().catch(() => undefined);
    client = null;
    return { rows: [] };
  }
  const c = await connected();
  if (req.op === 'notified') {
    const n = notified;
    notified = 0;
    return { rows: [], notified: n };
  }
  if (req.op === 'batch') {
    // Statements in one transaction: all or nothing.
    const results: unknown[][] = [];
    try {
      await c.query('BEGIN');
      for (const s of req.statements) results.push(await run(c, s.sql, s.params, true));
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    return { rows: results };
  }
  if (req.long) {
    // Background work (an exact count, a whole copy) is not cut by the interactive timeout.
    try {
      await c.query('BEGIN');
      await c.query('SET LOCAL statement_timeout = 0');
      const rows = await run(c, req.sql, req.params, req.array);
      await c.query('COMMIT');
      return { rows };
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }
  return { rows: await run(c, req.sql, req.params, req.array) };
}

port.on('message', async (req: PgRequest) => {
  let reply: PgReply;
  try {
    reply = await handle(req);
  } catch (e) {
    const err = e as Error & { code?: string; errno?: string };
    reply = { error: { code: err.code ?? 'unknown', message: err.message || String(e) } };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
