// The CLI's engine host starts a lane's worker at its first call: a worker started after
// a ledger was opened takes in that open first, so its answers are those of a worker
// that was there all along.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRequest, type Request, type Response } from '../src/shared/contract.ts';
import { EngineHost } from '../src/main/host/host.ts';
import { tempDir, writeSeed004, type SeedEvent } from './fixtures.ts';

let dir: string;
let host: EngineHost;
let id = 0;

async function call(method: string, args: unknown): Promise<unknown> {
  const req = { id: ++id, method, args };
  const res: Response = await host.request({ ...req, args: validateRequest(req).args } as Request);
  if (!res.ok) throw new Error(`${method}: ${res.error.message}`);
  return res.result;
}

/** This process's threads (Linux): each engine worker adds its own. */
const threads = () => fs.readdirSync('/proc/self/task').length;

beforeAll(() => {
  dir = tempDir();
  host = new EngineHost({ cacheDir: path.join(dir, 'cache'), log: () => {}, lanesOnDemand: true });
});
afterAll(async () => {
  await host.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('engine host', () => {
  it('starts the background worker at its first call, with the ledgers opened before it', async () => {
    const events: SeedEvent[] = Array.from({ length: 30 }, (_, i) => ({ id: `ev-${i}`, run_id: `run-${i % 3}`, kind: i % 10 === 0 ? 'run.started' : 'node.completed', payload: { i } }));
    const a = path.join(dir, 'a.db');
    const b = path.join(dir, 'b.db');
    writeSeed004(a, events);
    writeSeed004(b, events.slice(0, 12));
    const before = threads();
    const first = (await call('open', { path: a })) as { ledger: string };
    const second = (await call('open', { path: b })) as { ledger: string };
    await call('close', { ledger: second.ledger });
    const withInteractive = threads();
    expect(withInteractive).toBeGreaterThan(before);
    // A background call: its worker starts now, replays the opens and the close, then answers.
    const stats = (await call('stats', { ledger: first.ledger })) as { events: number };
    expect(stats.events).toBe(30);
    expect(threads()).toBeGreaterThan(withInteractive);
    await expect(call('stats', { ledger: second.ledger })).rejects.toThrow();
  });

  it("the app's host starts every lane's worker at once", async () => {
    const before = threads();
    const eager = new EngineHost({ cacheDir: path.join(dir, 'cache'), log: () => {} });
    // Each worker is a thread of this process from its construction on.
    expect(threads()).toBeGreaterThanOrEqual(before + 3);
    await eager.close();
  });
});
