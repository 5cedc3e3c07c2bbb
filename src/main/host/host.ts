// The engine host: a worker per lane of the contract (interactive calls; whole-ledger
// summaries, folds and indexes; jobs that write files), so a multi-GB export never
// stalls scrolling, and a fold never stalls an export. Requests are correlated by id;
// jobs report progress and are cancelled through a shared flag; slow calls are logged.
// In the CLI a lane's worker starts at its first call (a command uses one or two lanes,
// and each worker costs a start of the engine), then takes in the ledgers open by then.
// File ledgers share one set of lane workers; each PostgreSQL ledger has a set of its own,
// since the engine waits for its server synchronously: a server that hangs holds up the
// calls on that ledger only (until they give up), never those on a file or another ledger.
import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { errorResponse, isJob, laneOf, type Lane, type Method, type Push, type Request, type Response } from '../../shared/contract.ts';
import { NO_OPEN_LEDGER, type WorkerReply, type WorkerRequest } from './protocol.ts';
import { ROW_THREAD_LIMITS } from '../engine/base/threads.ts';
import { isPgUrl } from '../engine/pg/pg-url.ts';

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
    this.worker.once('exit', () => {
      ready();
      // Ended (a PostgreSQL ledger's workers end after its close): what it had left has no answer.
      this.failPending('engine worker ended');
    });
    this.worker.on('message', (m: WorkerReply) => {
      if ('ready' in m) return ready();
      if ('push' in m) return onPush(m.push);
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    });
    this.worker.on('error', (e) => this.failPending(`engine worker failed: ${e.message}`));
  }

  private failPending(message: string): void {
    for (const [id, resolve] of this.pending) resolve(errorResponse(id, new Error(message)));
    this.pending.clear();
  }

  send(req: Omit<WorkerRequest, 'id'>): Promise<Response> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...req, id });
    });
  }
}

/** One set of lane workers and the ledgers they hold. */
class Lanes {
  private readonly workers: Partial<Record<WorkerLane, WorkerChannel>> = {};
  /** The opens of the ledgers still open: a worker started later takes them in first. */
  everywhere: Array<Omit<WorkerRequest, 'id'>> = [];
  private readonly start: () => WorkerChannel;

  constructor(start: () => WorkerChannel, onDemand: boolean) {
    this.start = start;
    if (!onDemand) for (const lane of ['interactive', ...FOLLOWERS] as const) this.worker(lane);
  }

  worker(lane: WorkerLane): WorkerChannel {
    let w = this.workers[lane];
    if (!w) {
      w = this.workers[lane] = this.start();
      for (const req of this.everywhere) void w.send(req);
    }
    return w;
  }

  /** The followers started so far. */
  followers(): WorkerChannel[] {
    return FOLLOWERS.flatMap((lane) => this.workers[lane] ?? []);
  }

  async end(): Promise<void> {
    await Promise.all(
      Object.values(this.workers).map(async (w) => {
        await w.ready;
        await w.worker.terminate();
      }),
    );
  }
}

export class EngineHost {
  private readonly flags = new SharedArrayBuffer(SLOTS * 4);
  private readonly view = new Int32Array(this.flags);
  private readonly free: number[] = Array.from({ length: SLOTS }, (_, i) => i);
  /** Each running job's cancel slot, and the ledger whose view it computes (background jobs only). */
  private readonly jobs = new Map<string, { slot: number; viewOf: unknown }>();
  private readonly listeners = new Set<(p: Push) => void>();
  private readonly cacheDir: string | undefined;
  private readonly log: (line: string) => void;
  private readonly onDemand: boolean;
  /** The file ledgers' workers, which also answer every call that names no PostgreSQL ledger or URL. */
  private readonly files: Lanes;
  /** Each open PostgreSQL ledger's own workers, and the replays opened on them. */
  private readonly pgLedgers = new Map<string, Lanes>();
  private readonly pgReplays = new Map<string, Lanes>();
  /** The workers of calls that name a postgres:// URL but no open ledger (its tables, a mapping's preview). */
  private pgProbe: Lanes | null = null;

  constructor(opts: HostOptions = {}) {
    this.cacheDir = opts.cacheDir;
    this.log = opts.log ?? ((line) => console.warn(line));
    this.onDemand = !!opts.lanesOnDemand;
    this.files = this.lanes();
  }

  private lanes(): Lanes {
    return new Lanes(() => new WorkerChannel(this.flags, this.cacheDir, (p) => this.emit(p)), this.onDemand);
  }

  /** The workers a call runs on: its ledger's or replay's, else those of the path it names. */
  private lanesOf(method: Method, args: { ledger?: unknown; replay?: unknown; path?: unknown }): Lanes {
    const pg = typeof args.path === 'string' && isPgUrl(args.path);
    if (method === 'open') return pg ? this.lanes() : this.files;
    if (typeof args.ledger === 'string') return this.pgLedgers.get(args.ledger) ?? this.files;
    if (typeof args.replay === 'string') return this.pgReplays.get(args.replay) ?? this.files;
    return pg ? (this.pgProbe ??= this.lanes()) : this.files;
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
    const args = req.args as { ledger?: string; replay?: string; path?: string };
    if (job) {
      Atomics.store(this.view, slot!, 0);
      this.jobs.set(job, { slot: slot!, viewOf: lane === 'background' ? args.ledger : undefined });
    }
    // A ledger's background jobs (counts, folds, its text index) end with it: one under way would go on
    // against its closed files, for a view nobody has. An export or snapshot goes on to its file.
    if (method === 'close') for (const j of this.jobs.values()) if (j.viewOf === args.ledger) Atomics.store(this.view, j.slot, 1);
    const started = performance.now();
    const lanes = this.lanesOf(method, args);
    const pg = lanes !== this.files;
    try {
      const base = { method, args: req.args, job, slot };
      let res: Response;
      if (lane === 'every') {
        // Every worker of the set holds every ledger open on it. The interactive one answers
        // (building a JSONL index once, with progress); the others follow without being waited
        // for, since they may be busy with a long job, and a worker takes its messages in order.
        const ledgerId = method === 'open' ? crypto.randomUUID() : undefined;
        res = await lanes.worker('interactive').send({ ...base, ledgerId });
        if (res.ok) {
          const follow = { ...base, job: undefined, slot: undefined, ledgerId };
          const followed = Promise.all(lanes.followers().map((w) => w.send(follow)));
          // A worker started later needs the ledgers still open, not the ones since closed.
          if (method === 'open') lanes.everywhere.push(follow);
          else lanes.everywhere = lanes.everywhere.filter((o) => o.ledgerId !== args.ledger);
          if (pg && method === 'open') this.pgLedgers.set(ledgerId!, lanes);
          if (pg && method === 'close') this.dropPg(args.ledger!, followed);
        } else if (pg && method === 'open') void lanes.end();
      } else {
        res = await lanes.worker(lane).send(base);
        // A worker whose copy of an open failed (a database server down as it took it) takes it again, once.
        const open = !res.ok && res.error.message.startsWith(NO_OPEN_LEDGER) ? lanes.everywhere.find((o) => o.ledgerId === args.ledger) : undefined;
        if (open && (await lanes.worker(lane).send(open)).ok) res = await lanes.worker(lane).send(base);
        if (pg && res.ok && method === 'replayOpen') this.pgReplays.set((res.result as { replay: string }).replay, lanes);
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

  /** Forgets a closed PostgreSQL ledger; its workers end once each has closed it (a job under way finishes first). */
  private dropPg(ledger: string, followed: Promise<unknown>): void {
    const lanes = this.pgLedgers.get(ledger);
    if (!lanes) return;
    this.pgLedgers.delete(ledger);
    for (const [replay, l] of this.pgReplays) if (l === lanes) this.pgReplays.delete(replay);
    void followed.then(() => lanes.end());
  }

  /** The calls the host answers itself: a cancel sets the job's flag, which its worker reads mid-job. */
  private answer(req: Request): Response {
    if (req.method === 'cancel') {
      const running = this.jobs.get((req.args as { job: string }).job);
      if (running) Atomics.store(this.view, running.slot, 1);
    }
    return { id: req.id, ok: true, result: null };
  }

  /** Pushes an event to every listener, as the workers' pushes are. */
  emit(p: Push) {
    this.listeners.forEach((l) => l(p));
  }

  async close(): Promise<void> {
    const all = [this.files, ...this.pgLedgers.values(), ...(this.pgProbe ? [this.pgProbe] : [])];
    await Promise.all(all.map((l) => l.end()));
  }
}
