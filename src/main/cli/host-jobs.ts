// The CLI's long jobs run in the engine host, as the app's do: off the main
// thread, so a Ctrl+C (SIGINT) or SIGTERM is heard mid-job and cancels it through
// the host's cancel flag, the path the app's Cancel button takes. The job removes
// its partial files and rejects with `cancelled`, and the command exits 130; a
// second signal does not wait for that.
import crypto from 'node:crypto';
import { createClient, RemoteError, validateRequest, type Args, type Client, type Method, type Result } from '../../shared/contract.ts';
import { LedgerError } from '../../shared/errors.ts';
import { EngineHost } from '../host/host.ts';
import { onInterrupt } from './interrupt.ts';
import { progressBar } from './output.ts';

export class HostJobs {
  private host: EngineHost | null = null;
  private client: Client | null = null;
  private readonly cacheDir: string | undefined;

  constructor(cacheDir: string | undefined) {
    this.cacheDir = cacheDir;
  }

  private connect(): Client {
    if (this.client) return this.client;
    const host = (this.host = new EngineHost({ cacheDir: this.cacheDir, log: () => {}, lanesOnDemand: true }));
    this.client = createClient({
      request: (req) => host.request({ ...req, args: validateRequest(req).args }),
      subscribe: (handler) => host.subscribe(handler),
    });
    return this.client;
  }

  /** Runs one contract call as a job, with a progress bar named `label` on a terminal. */
  async run<M extends Method>(method: M, args: Args<M>, label: string): Promise<Result<M>> {
    const client = this.connect();
    const job = crypto.randomUUID();
    const bar = progressBar(label);
    const off = client.on('progress', (p) => p.job === job && bar.update(p));
    let interrupted = false;
    const stopHearing = onInterrupt(() => {
      if (interrupted) process.exit(130);
      interrupted = true;
      void client.cancel({ job });
    });
    try {
      const result = await (client[method] as (a: Args<M>, o: { job: string }) => Promise<Result<M>>)(args, { job });
      // A job past its last look at the flag (a fold read from its cache) finishes anyway; the command still stops.
      if (interrupted) throw new LedgerError('cancelled', 'interrupted');
      return result;
    } catch (e) {
      throw e instanceof RemoteError ? new LedgerError(e.code, e.message) : e;
    } finally {
      stopHearing();
      off();
      bar.end();
    }
  }

  /** A quick call (not a job): no progress, nothing to cancel. */
  async call<M extends Method>(method: M, args: Args<M>): Promise<Result<M>> {
    try {
      return await (this.connect()[method] as (a: Args<M>) => Promise<Result<M>>)(args);
    } catch (e) {
      throw e instanceof RemoteError ? new LedgerError(e.code, e.message) : e;
    }
  }

  async close(): Promise<void> {
    await this.host?.close();
    this.host = null;
    this.client = null;
  }
}
