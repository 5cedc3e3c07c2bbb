// An engine-host worker: runs contract calls off the main thread. Cancels arrive
// through a shared flag, because a busy worker reads no messages until it is done.
import { parentPort, workerData } from 'node:worker_threads';
import { errorResponse, type WorkerMethod } from '../../shared/contract.ts';
import type { JobControl } from '../engine/base/jobs.ts';
import { loadSqlite } from '../engine/base/sqlite.ts';
import { EngineService } from './service.ts';
import type { WorkerReply, WorkerRequest } from './protocol.ts';

const port = parentPort!;
const flags = new Int32Array(workerData.cancelFlags as SharedArrayBuffer);
const post = (m: WorkerReply) => port.postMessage(m);
const service = new EngineService({ cacheDir: workerData.cacheDir, push: (event, payload) => post({ push: { event, payload } }) });

port.on('message', async (msg: WorkerRequest) => {
  const { id, method, args, job, slot, ledgerId } = msg;
  const ctl: JobControl = {};
  if (job !== undefined && slot !== undefined) {
    ctl.signal = { get aborted() { return Atomics.load(flags, slot) === 1; } };
    ctl.onProgress = (p) => post({ push: { event: 'progress', payload: { job, method, ...p } } });
  }
  try {
    const handler = service.handlers[method as WorkerMethod] as (a: unknown, c: JobControl, x: { ledgerId?: string }) => unknown;
    const result = await handler(args, ctl, { ledgerId });
    post({ id, ok: true, result });
  } catch (e) {
    post(errorResponse(id, e));
  }
});

port.on('close', () => service.closeAll());
loadSqlite();
post({ ready: true });
