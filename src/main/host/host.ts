// The engine host: two workers, one for quick interactive calls (rows, events,
// replay steps) and one for whole-ledger work (counts, folds, facets, snapshots, exports, search),
// so a multi-GB export never stalls scrolling. Requests are correlated by id; jobs
// report progress and are cancelled through a shared flag; slow calls are logged.
import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { isJob, type Method, type Push, type Request, type Response } from '../../shared/contract.ts';
import type { WorkerReply, WorkerRequest } from './protocol.ts';

/** Calls that scan the whole ledger go to the background worker; facets and the histogram too, since on 10M events they take seconds. */
const BACKGROUND = new Set<Method>(['count', 'stats', 'runs', 'snapshot', 'exportJsonl', 'importJsonl', 'search', 'generate', 'indexText', 'facets', 'histogram']);
const SLOTS = 256;
const SLOW_MS = 250;

export interface HostOptions {
  cacheDir?: string;
  log?: (line: string) => void;
}

class WorkerChannel {
  readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, (r: Response) => void>();

  constructor(flags: SharedArrayBuffer, cacheDir: string | undefined, onPush: (p: Push) => void) {
    // Built, the host sits in out/main/index.js beside worker.js; from source it is host.ts beside worker.ts.
    const file = import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js';
    this.worker = new Worker(new URL(file, import.meta.url), { workerData: { cancelFlags: flags, cacheDir } });
    this.worker.on('message', (m: WorkerReply) => {
      if ('push' in m) return onPush(m.push);
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    });
    this.worker.on('error', (e) => {
      for (const [id, resolve] of this.pending) resolve({ id, ok: false, error: { code: 'internal', message: `engine worker failed: ${e.message}` } });
      this.pending.clear();
    });
  }

  send(req: Omit<WorkerRequest, 'id'>): Promise<Response> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...req, id });
    });
  }
}

export class EngineHost {
  private readonly flags = new SharedArrayBuffer(SLOTS * 4);
  private readonly view = new Int32Array(this.flags);
  private readonly free: number[] = Array.from({ length: SLOTS }, (_, i) => i);
  private readonly jobs = new Map<string, number>();
  private readonly listeners = new Set<(p: Push) => void>();
  private readonly interactive: WorkerChannel;
  private readonly background: WorkerChannel;
  private readonly log: (line: string) => void;

  constructor(opts: HostOptions = {}) {
    const onPush = (p: Push) => this.listeners.forEach((l) => l(p));
    this.interactive = new WorkerChannel(this.flags, opts.cacheDir, onPush);
    this.background = new WorkerChannel(this.flags, opts.cacheDir, onPush);
    this.log = opts.log ?? ((line) => console.warn(line));
  }

  subscribe(listener: (p: Push) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs a request that has already been validated against the contract. */
  async request(req: Request): Promise<Response> {
    const method = req.method as Method;
    if (method === 'uiState') return { id: req.id, ok: true, result: null };
    if (method === 'cancel') {
      const slot = this.jobs.get((req.args as { job: string }).job);
      if (slot !== undefined) Atomics.store(this.view, slot, 1);
      return { id: req.id, ok: true, result: null };
    }
    const job = isJob(method) ? (req.job ?? crypto.randomUUID()) : undefined;
    const slot = job ? this.free.pop() : undefined;
    if (job && slot === undefined) return { id: req.id, ok: false, error: { code: 'internal', message: 'too many jobs at once' } };
    if (job) {
      Atomics.store(this.view, slot!, 0);
      this.jobs.set(job, slot!);
    }
    const started = performance.now();
    try {
      const base = { method, args: req.args, job, slot };
      let res: Response;
      if (method === 'open' || method === 'close') {
        // Both workers hold every open ledger. The interactive one answers (building a JSONL
        // index once, with progress); the background one follows without being waited for,
        // since it may be busy with a long job, and a worker takes its messages in order.
        const ledgerId = method === 'open' ? crypto.randomUUID() : undefined;
        res = await this.interactive.send({ ...base, ledgerId });
        if (res.ok) void this.background.send({ ...base, job: undefined, slot: undefined, ledgerId });
      } else res = await (BACKGROUND.has(method) ? this.background : this.interactive).send(base);
      const ms = performance.now() - started;
      if (!job && ms > SLOW_MS) this.log(`[engine] slow ${method}: ${ms.toFixed(0)} ms`);
      if (job) this.emit({ event: 'jobDone', payload: { job, method, ok: res.ok, ...(res.ok ? {} : { error: res.error.message }) } });
      return { ...res, id: req.id };
    } finally {
      if (job) {
        this.jobs.delete(job);
        this.free.push(slot!);
      }
    }
  }

  /** Pushes an event to every listener, as the workers' pushes are. */
  emit(p: Push) {
    this.listeners.forEach((l) => l(p));
  }

  async close(): Promise<void> {
    await Promise.all([this.interactive.worker.terminate(), this.background.worker.terminate()]);
  }
}
