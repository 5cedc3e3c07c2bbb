// A synchronous PostgreSQL client for the synchronous engine: requests go to a
// thread running the `pg` driver (pg-thread.ts) and the caller waits on a shared
// flag for the answer (the pattern of the synckit library, about 0.1 ms a call).
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { ClientConfig } from 'pg';
import { LedgerError } from '../../../shared/errors.ts';
import { toPg, type Sql } from '../base/sql.ts';
import { pgError, type Server } from './pg-url.ts';

export type PgRequest =
  | { op: 'query'; sql: string; params: unknown[]; array?: boolean; long?: boolean }
  | { op: 'batch'; statements: Array<{ sql: string; params: unknown[] }> }
  | { op: 'copyStart'; sql: string }
  | { op: 'copyRead' }
  | { op: 'copyStop' }
  | { op: 'listen'; channel: string }
  | { op: 'unlisten' }
  | { op: 'end' };
export type PgReply = { rows: unknown[]; text?: string; done?: boolean } | { error: { code: string; message: string } };

/** How long a call may wait for the thread beyond the server's own statement timeout. */
const REPLY_DEADLINE_MS = 10 * 60_000;

export class SyncPg {
  readonly server: Server;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;
  /** Calls made: each answer names the call it answers. */
  private sent = 0;
  /** Told of each notification on the channel listened to (see listen). */
  private onNotify: (() => void) | null = null;

  constructor(server: Server, config: ClientConfig) {
    this.server = server;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    // Built, the engine sits in out/main beside pg-thread.js; from source, beside pg-thread.ts.
    const file = import.meta.url.endsWith('.ts') ? './pg-thread.ts' : './pg-thread.js';
    this.worker = new Worker(new URL(file, import.meta.url), {
      workerData: { flag: this.flag.buffer, port: port2, config },
      transferList: [port2],
    });
    this.worker.unref();
    // Notifications come as the thread's own messages, apart from the answers to calls.
    this.worker.on('message', (m: { listen: 'notify' | 'lost' }) => {
      if (m.listen === 'notify') this.onNotify?.();
      else this.onNotify = null;
    });
  }

  private call(req: PgRequest): { rows: unknown[]; text?: string; done?: boolean } {
    if (this.closed) throw new LedgerError('invalid_argument', 'the connection is closed', this.server.label);
    const id = ++this.sent;
    this.port.postMessage({ id, req });
    const deadline = Date.now() + REPLY_DEADLINE_MS;
    // The thread posts its answer, then bumps the counter: the answer is on the port by
    // the time the counter moves. An answer to an earlier call that timed out is dropped.
    for (;;) {
      const seen = Atomics.load(this.flag, 0);
      const got = receiveMessageOnPort(this.port)?.message as { id: number; reply: PgReply } | undefined;
      if (got) {
        if (got.id !== id) continue;
        if ('error' in got.reply) throw pgError(got.reply.error, this.server);
        return got.reply;
      }
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.flag, 0, seen, left) === 'timed-out') throw new LedgerError('internal', 'the database thread did not answer', this.server.label);
    }
  }

  /** Rows as objects keyed by column name, of a statement built with `sql` or given as text with its `$n` parameters. */
  rows<T>(q: Sql | string, params: unknown[] = [], opts: { long?: boolean } = {}): T[] {
    return this.call({ op: 'query', ...statement(q, params), long: opts.long }).rows as T[];
  }

  /** Rows as arrays in select order. */
  arrays(q: Sql | string, params: unknown[] = [], opts: { long?: boolean } = {}): unknown[][] {
    return this.call({ op: 'query', ...statement(q, params), array: true, long: opts.long }).rows as unknown[][];
  }

  one<T>(q: Sql | string, params: unknown[] = []): T | undefined {
    return this.rows<T>(q, params)[0];
  }

  /** Statements in one transaction, all or nothing; each one's rows as arrays. */
  batch(statements: Array<{ sql: string; params: unknown[] }>): unknown[][][] {
    return this.call({ op: 'batch', statements }).rows as unknown[][][];
  }

  /**
   * The rows of `COPY (query) TO STDOUT` as text (null for NULL), a block at a time as
   * they arrive. Stopping early (a break, a cancel) ends the copy.
   */
  *copyOut(query: string): Generator<Array<Array<string | null>>> {
    this.call({ op: 'copyStart', sql: `COPY (${query}) TO STDOUT` });
    let finished = false;
    try {
      for (;;) {
        const r = this.call({ op: 'copyRead' });
        if (r.done) {
          finished = true;
          return;
        }
        const lines = r.text!.split('\n');
        lines.pop();
        yield lines.map((l) => l.split('\t').map(unescapeCopy));
      }
    } finally {
      if (!finished) this.call({ op: 'copyStop' });
    }
  }

  /**
   * LISTENs on a channel over a connection of its own (one channel at a time); calls
   * `onNotify` on each notification until the returned stop is called or that
   * connection dies. Throws when the LISTEN fails.
   */
  listen(channel: string, onNotify: () => void): () => void {
    this.call({ op: 'listen', channel });
    this.onNotify = onNotify;
    return () => {
      if (this.onNotify !== onNotify) return;
      this.onNotify = null;
      if (!this.closed) this.call({ op: 'unlisten' });
    };
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call({ op: 'end' });
    } catch {
      // Closing a connection the server already dropped has nothing left to do.
    }
    this.closed = true;
    void this.worker.terminate();
  }
}

const statement = (q: Sql | string, params: unknown[]) => (typeof q === 'string' ? { sql: q, params } : { sql: toPg(q), params: [...q.params] });

const COPY_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** COPY's text output: \N is NULL; a backslash escapes itself, the separators and control characters. */
function unescapeCopy(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/g, (_, ch: string) => COPY_ESCAPES[ch] ?? ch);
}
