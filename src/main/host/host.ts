// The engine host: a worker per lane of the contract (interactive calls; whole-ledger
// summaries, folds and indexes; jobs that write files), so a multi-GB export never
// stalls scrolling, and a fold never stalls an export. Requests are correlated by id;
// jobs report progress and are cancelled through a shared flag; slow calls are logged.
// In the CLI a lane's worker starts at its first call (a command uses one or two lanes,
// and each worker costs a start of the engine), then takes in the ledgers open by then.
import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { errorResponse, isJob, laneOf, type Lane, type Method, type Push, type Request, type Response } from '../../shared/contract.ts';
import { NO_OPEN_LEDGER, type WorkerReply, type WorkerRequest } from './protocol.ts';
import { ROW_THREAD_LIMITS } from '../engine/base/threads.ts';

const SLOTS = 256;
const SLOW_MS = 250;
type WorkerLane = 'interactive' | 'background' | 'export';
/** The workers that follow the interactive one's opens and closes. */
const FOLLOWERS = ['background', 'export'] as const;

export interface HostOptions {
  cacheDir?: string;
  log?: (line: string) => void;
  /** Start each lane's worker at its first call (the CLI: a command uses one or two lanes), not all at once (the app uses every lane from its first open). */
  lanesOnDemand?: boolean;
}

class WorkerChannel {
  readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, (r: Response) => void>();
  /** Settles once the worker has loaded its native modules (or has ended): see loadSqlite. */
  readonly ready: Promise<void>;

  constructor(flags: SharedArrayBuffer, cacheDir: string | undefined, onPush: (p: Push) => void) {
    // Built, the host sits in out/main/index.js beside worker.js; from source it is host.ts beside worker.ts.
    const file = import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js';
    this.worker = new Worker(new URL(file, import.meta.url), { workerData: { cancelFlags: flags, cacheDir }, resourceLimits: ROW_THREAD_LIMITS });
    let ready!: () => void;
    this.ready = new Promise((resolve) => (ready = resolve));
    this.worker.once('exit', () => ready());
    this.worker.on('message', (m: WorkerReply) => {
      if ('ready' in m) return ready();
      if ('push' in m) return onPush(m.push);
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    });
    this.worker.on('error', (e) => {
      for (const [id, resolve] of this.pending) resolve(errorResponse(id, new Error(`engine worker failed: ${e.message}`)));
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
  private readonly workers: Partial<Record<WorkerLane, WorkerChannel>> = {};
  /** The opens of the ledgers still open: a worker started later takes them in first. */
  private everywhere: Array<Omit<WorkerRequest, 'id'>> = [];
  private readonly cacheDir: string | undefined;
  private readonly log: (line: string) => void;

  constructor(opts: HostOptions = {}) {
    this.cacheDir = opts.cacheDir;
    this.log = opts.log ?? ((line) => console.warn(line));
    if (!opts.lanesOnDemand) for (const lane of ['interactive', ...FOLLOWERS] as const) this.worker(lane);
  }

  private worker(lane: WorkerLane): WorkerChannel {
    let w = this.workers[lane];
    if (!w) {
      w = this.workers[lane] = new WorkerChannel(this.flags, this.cacheDir, (p) => this.emit(p));
      for (const req of this.everywhere) void w.send(req);
    }
    return w;
  }

  subscribe(listener: (p: Push) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs a request that has already been validated against the contract. */
  async request(req: Request): Promise<Response> {
    const method = req.method as Method;
    const lane: Lane = laneOf(method);
    if (lane === 'host') return this.answer(req);
    const job = isJob(method) ? (req.job ?? crypto.randomUUID()) : undefined;
    const slot = job ? this.free.pop() : undefined;
    if (job && slot === undefined) return errorResponse(req.id, new Error('too many jobs at once'));
    if (job) {
      Atomics.store(this.view, slot!, 0);
      this.jobs.set(job, slot!);
    }
    const started = performance.now();
    try {
      const base = { method, args: req.args, job, slot };
      let res: Response;
      if (lane === 'every') {
        // Every worker holds every open ledger. The interactive one answers (building a JSONL
        // index once, with progress); the others follow without being waited for, since they
        // may be busy with a long job, and a worker takes its messages in order.
        const ledgerId = method === 'open' ? crypto.randomUUID() : undefined;
        res = await this.worker('interactive').send({ ...base, ledgerId });
        if (res.ok) {
          const follow = { ...base, job: undefined, slot: undefined, ledgerId };
          for (const lane of FOLLOWERS) void this.workers[lane]?.send(follow);
          // A worker started later needs the ledgers still open, not the ones since closed.
          if (method === 'open') this.everywhere.push(follow);
          else this.everywhere = this.everywhere.filter((o) => o.ledgerId !== (req.args as { ledger: string }).ledger);
        }
      } else {
        res = await this.worker(lane).send(base);
        // A worker whose copy of an open failed (a database server down as it took it) takes it again, once.
        const ledger = (req.args as { ledger?: unknown }).ledger;
        const open = !res.ok && res.error.message.startsWith(NO_OPEN_LEDGER) ? this.everywhere.find((o) => o.ledgerId === ledger) : undefined;
        if (open && (await this.worker(lane).send(open)).ok) res = await this.worker(lane).send(base);
      }
      const ms = performance.now() - started;
      if (!job && ms > SLOW_MS) this.log(`[engine] slow ${method}: ${ms.toFixed(0)} ms`);
      if (job) this.emit({ event: 'jobDone', payload: { job, method, ok: res.ok, ...(res.ok ? {} : { code: res.error.code, error: res.error.message }) } });
      return { ...res, id: req.id };
    } finally {
      if (job) {
        this.jobs.delete(job);
        this.free.push(slot!);
      }
    }
  }

  /** The calls the host answers itself: a cancel sets the job's flag, which its worker reads mid-job. */
  private answer(req: Request): Response {
    if (req.method === 'cancel') {
      const slot = this.jobs.get((req.args as { job: string }).job);
      if (slot !== undefined) Atomics.store(this.view, slot, 1);
    }
    return { id: req.id, ok: true, result: null };
  }

  /** Pushes an event to every listener, as the workers' pushes are. */
  emit(p: Push) {
    this.listeners.forEach((l) => l(p));
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.workers).map(async (w) => {
      await w.ready;
      await w.worker.terminate();
    }));
  }
}
