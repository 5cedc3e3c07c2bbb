// The thread side of SyncPg: one `pg` client, answering one request at a time. The
// engine thread blocks on a shared flag until the answer is posted, so the engine
// stays synchronous over an asynchronous driver. A dropped connection is noted and
// the next request connects again: a server that comes back is used again.
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Readable } from 'node:stream';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { PgReply, PgRequest } from './sync-client.ts';
import { driverConfig, goesOnWithoutTls, NO_ANSWER } from './pg-url.ts';
import { exactInteger } from '../base/integers.ts';

// Offsets and counts are bigints; as numbers they stay exact up to 2^53. Past it two values
// would read alike (a seq off by one): such a value stays the text the server sent, exact.
// (Offsets that large are refused at open.)
pg.types.setTypeParser(20, exactInteger);
// Times and JSON reach the engine as the server prints them: text, byte for byte.
for (const oid of [114, 3802, 1082, 1114, 1184]) pg.types.setTypeParser(oid, (v) => v);

const flag = new Int32Array(workerData.flag as SharedArrayBuffer);
const port = workerData.port as MessagePort;
const config = workerData.config as pg.ClientConfig;

let client: pg.Client | null = null;
// The server said it has no TLS, and the URL's sslmode goes on without: every later connection is plain too.
let plain = false;

/** A new connection, made; `watch` is told of the client before it connects (its error and end events). */
async function connect(watch: (c: pg.Client) => void): Promise<pg.Client> {
  const c = new pg.Client(driverConfig(config, plain));
  watch(c);
  const started = performance.now();
  try {
    await c.connect();
  } catch (e) {
    if (!plain && goesOnWithoutTls(config, e)) {
      plain = true;
      return connect(watch);
    }
    // The driver's connect timeout ends the socket itself, and what it raises then reads as a connection lost.
    if (performance.now() - started >= (config.connectionTimeoutMillis ?? Infinity)) throw Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' });
    throw e;
  }
  return c;
}

async function connected(): Promise<pg.Client> {
  if (client) return client;
  const c = await connect((c) => {
    // A connection lost between requests must not end the thread: the next request reconnects.
    c.on('error', () => {
      if (client === c) client = null;
    });
    c.on('end', () => {
      if (client === c) client = null;
    });
  });
  client = c;
  return c;
}

/**
 * A connection of its own that LISTENs on one channel: each notification is told to
 * the engine thread at once (not an answer to a call); if the connection dies, that
 * is told once, and following goes on by polling alone.
 */
let listener: pg.Client | null = null;

async function listen(channel: string): Promise<PgReply> {
  await unlisten();
  let made: pg.Client | null = null;
  try {
    made = await connect((c) => {
      const lost = () => {
        if (listener !== c) return;
        listener = null;
        parentPort!.postMessage({ listen: 'lost' });
      };
      c.on('error', lost);
      c.on('end', lost);
      c.on('notification', () => parentPort!.postMessage({ listen: 'notify' }));
    });
    // A channel is an identifier: quoted, as the trigger's own text names it, case and all.
    await made.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
  } catch (e) {
    made?.end().catch(() => undefined);
    throw e;
  }
  listener = made;
  return { rows: [] };
}

async function unlisten(): Promise<PgReply> {
  const c = listener;
  listener = null;
  await c?.end().catch(() => undefined);
  return { rows: [] };
}

// The server ends an interactive statement at its statement_timeout; a server that hangs (stopped,
// or behind a network that drops packets) never does. Waited for this much longer, it is given up.
const ANSWER_GRACE_MS = 5_000;
const interactiveMs = Number(config.statement_timeout) || 0;

/** A statement's rows, as arrays or as objects keyed by column; `long` work is not timed out. */
async function run(c: pg.Client, sql: string, params: unknown[], array?: boolean, long = false): Promise<unknown[]> {
  const query_timeout = long || !interactiveMs ? undefined : interactiveMs + ANSWER_GRACE_MS;
  try {
    return (await c.query({ text: sql, values: params, ...(array && { rowMode: 'array' as const }), ...(query_timeout && { query_timeout }) })).rows;
  } catch (e) {
    if (!/Query read timeout/.test((e as Error).message)) throw e;
    // What the connection is doing now is unknown: the next request connects afresh.
    if (client === c) client = null;
    c.end().catch(() => undefined);
    throw Object.assign(new Error(`no answer within ${(query_timeout! / 1000).toFixed(0)} s`), { code: NO_ANSWER });
  }
}

/**
 * A COPY ... TO STDOUT under way: whole lines of its text output, handed over a block
 * at a time (one string crosses threads far faster than rows of strings).
 */
let copy: { client: pg.Client; stream: Readable; blocks: string[]; chars: number; rest: string; done: boolean; failed: Error | null; wake: (() => void) | null } | null = null;
/** Text held before the stream is paused (UTF-16 units): memory stays bounded however big the table. */
const COPY_HIGH_WATER = 8 * 2 ** 20;

/**
 * Starts the COPY in a transaction of its own without the interactive timeout: a big
 * table's copy lasts as long as its reader takes (the server waits while the stream
 * is paused), far past the limit meant for interactive calls.
 */
async function startCopy(c: pg.Client, sql: string): Promise<void> {
  await c.query('BEGIN');
  await c.query('SET LOCAL statement_timeout = 0');
  const stream = c.query(copyTo(sql)) as unknown as Readable;
  const state = { client: c, stream, blocks: [] as string[], chars: 0, rest: '', done: false, failed: null as Error | null, wake: null as (() => void) | null };
  const wake = () => {
    state.wake?.();
    state.wake = null;
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const text = state.rest + chunk;
    const end = text.lastIndexOf('\n');
    state.rest = text.slice(end + 1);
    if (end < 0) return;
    state.blocks.push(text.slice(0, end + 1));
    state.chars += end + 1;
    if (state.chars > COPY_HIGH_WATER) stream.pause();
    wake();
  });
  stream.on('end', () => ((state.done = true), wake()));
  stream.on('error', (e) => ((state.failed = e), (state.done = true), wake()));
  copy = state;
}

/** The lines of the COPY received since the last read, waiting for some; done once it is over. */
async function readCopy(): Promise<PgReply> {
  const state = copy;
  if (!state) return { rows: [], done: true };
  while (!state.blocks.length && !state.done) await new Promise<void>((r) => (state.wake = r));
  if (state.failed) {
    copy = null;
    await state.client.query('ROLLBACK').catch(() => undefined);
    throw state.failed;
  }
  const text = state.blocks.join('');
  state.blocks = [];
  state.chars = 0;
  state.stream.resume();
  const done = !text && state.done;
  if (done) {
    copy = null;
    await state.client.query('COMMIT');
  }
  return { rows: [], text, done };
}

async function handle(req: PgRequest): Promise<PgReply> {
  if (req.op === 'copyRead') return readCopy();
  if (req.op === 'copyStop') {
    const state = copy;
    copy = null;
    if (state && !state.done) {
      // A COPY stopped half way leaves the connection mid-protocol: it is dropped, and the next request connects afresh.
      const c = client;
      client = null;
      c?.end().catch(() => undefined);
    } else if (state) {
      // All sent, not all read (a cancel): its transaction is still open, holding the table's
      // lock against other clients' DDL and keeping the copy's unlimited statement time.
      await state.client.query('ROLLBACK').catch(() => undefined);
    }
    return { rows: [] };
  }
  if (req.op === 'listen') return listen(req.channel);
  if (req.op === 'unlisten') return unlisten();
  if (req.op === 'end') {
    await unlisten();
    await client?.end().catch(() => undefined);
    client = null;
    return { rows: [] };
  }
  const c = await connected();
  if (req.op === 'copyStart') {
    await startCopy(c, req.sql);
    return { rows: [] };
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
      const rows = await run(c, req.sql, req.params, req.array, true);
      await c.query('COMMIT');
      return { rows };
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }
  return { rows: await run(c, req.sql, req.params, req.array) };
}

port.on('message', async ({ id, req }: { id: number; req: PgRequest }) => {
  let reply: PgReply;
  try {
    reply = await handle(req);
  } catch (e) {
    const err = e as Error & { code?: string };
    reply = { error: { code: err.code ?? 'unknown', message: err.message || String(e) } };
  }
  port.postMessage({ id, reply });
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
});
