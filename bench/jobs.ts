// Exports beside other jobs: an export started while a fold and an index build run
// must start at once and hear a cancel at once (they run on separate host lanes).
import fs from 'node:fs';
import path from 'node:path';
import type { Method, Push } from '../src/shared/contract.ts';
import { EngineHost } from '../src/main/host/host.ts';
import { info, median, ms, quantile, report } from './lib.ts';

interface Timed {
  ms: number;
  firstProgressMs: number | null;
  ok: boolean;
}

class Bench {
  private id = 1;
  private readonly progress = new Map<string, number>();
  readonly host: EngineHost;
  constructor(host: EngineHost) {
    this.host = host;
    host.subscribe((p: Push) => {
      const job = (p.payload as { job?: string }).job;
      if (p.event === 'progress' && job && !this.progress.has(job)) this.progress.set(job, performance.now());
    });
  }
  async call(method: Method, args: unknown, job?: string) {
    const res = await this.host.request({ id: this.id++, method, args, job });
    if (!res.ok && res.error.code !== 'cancelled') throw new Error(`${method}: ${res.error.message}`);
    return res;
  }
  async timed(method: Method, args: unknown, job: string, cancelAfterMs?: number): Promise<Timed & { cancelMs?: number }> {
    const t = performance.now();
    let cancelledAt = 0;
    const timer = cancelAfterMs === undefined ? null : setTimeout(() => {
      cancelledAt = performance.now();
      void this.call('cancel', { job });
    }, cancelAfterMs);
    const res = await this.call(method, args, job);
    if (timer) clearTimeout(timer);
    const end = performance.now();
    const first = this.progress.get(job);
    return { ms: end - t, firstProgressMs: first === undefined ? null : first - t, ok: res.ok, ...(cancelledAt ? { cancelMs: end - cancelledAt } : {}) };
  }
}

async function withHost<T>(dir: string, file: string, fn: (b: Bench, ledger: string) => Promise<T>): Promise<T> {
  // A fresh cache each time: the fold and the text index are built, not read back.
  const cacheDir = fs.mkdtempSync(path.join(dir, 'jobs-cache-'));
  const host = new EngineHost({ cacheDir, log: () => {} });
  const b = new Bench(host);
  try {
    const open = await b.call('open', { path: file }, 'open');
    return await fn(b, (open as { result: { ledger: string } }).result.ledger);
  } finally {
    await host.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

export async function benchExportBesideJobs(dir: string, file: string): Promise<void> {
  const out = (name: string) => {
    const d = path.join(dir, name);
    fs.rmSync(d, { recursive: true, force: true });
    return d;
  };
  let n = 0;
  const alone = await withHost(dir, file, (b, ledger) => b.timed('exportJsonl', { ledger, dir: out('jobs-export') }, `e${n++}`));
  const busy = await withHost(dir, file, async (b, ledger) => {
    const others = [b.call('runs', { ledger }, 'fold'), b.call('indexText', { ledger }, 'index')];
    const t = await b.timed('exportJsonl', { ledger, dir: out('jobs-export') }, `e${n++}`);
    await Promise.all(others);
    return t;
  });
  fs.rmSync(out('jobs-export'), { recursive: true, force: true });
  info('first export, alone', `${ms(alone.ms)}, first progress after ${ms(alone.firstProgressMs ?? NaN)}`);
  info('first export, beside a fold and an index build', `${ms(busy.ms)}, first progress after ${ms(busy.firstProgressMs ?? NaN)}`);
  const ratio = alone.ms / busy.ms;
  report('first JSONL export beside a fold + index build vs alone', ms(busy.ms), ms(alone.ms), ratio, '>= 0.5', ratio >= 0.5);

  // Cancels at several points of a JSONL export and of a snapshot, each beside a fold.
  const cancels: number[] = [];
  for (const [method, after] of [['exportJsonl', 400], ['exportJsonl', 1500], ['exportJsonl', 3000], ['snapshot', 40], ['snapshot', 120]] as const) {
    const t = await withHost(dir, file, async (b, ledger) => {
      const fold = b.call('runs', { ledger }, 'fold');
      const args = method === 'snapshot' ? { ledger, dest: out('jobs-snap.db') } : { ledger, dir: out('jobs-export') };
      const r = await b.timed(method, args, `c${n++}`, after);
      await fold;
      return r;
    });
    if (t.cancelMs !== undefined && !t.ok) cancels.push(t.cancelMs);
  }
  fs.rmSync(out('jobs-export'), { recursive: true, force: true });
  fs.rmSync(out('jobs-snap.db'), { force: true });
  if (!cancels.length) return info('cancel latency', 'every job finished before its cancel; use a bigger ledger');
  const worst = quantile(cancels, 1);
  report(`cancel of an export beside a fold (${cancels.length} cancels)`, `median ${ms(median(cancels))}, worst ${ms(worst)}`, '250 ms', worst / 250, '< 1 (within 250 ms)', worst < 250);
}
