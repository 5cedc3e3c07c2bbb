// Test fixtures: a generated ledger and `ledger-inspector serve` running on it, as a user would start it.
import { test as base, expect, type Page } from '@playwright/test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/ledger-inspector.js');
export const DATA = path.join(os.tmpdir(), 'ledger-inspector-e2e');
/** The app's data folder (saved views, bookmarks, layouts) for the served app; emptied before each test. */
export const APP_DATA = path.join(DATA, 'app-data');

/** A generated ledger of `events` events, made once and reused by later runs. */
export function ledgerOf(events: number, seed = 21): string {
  fs.mkdirSync(DATA, { recursive: true });
  const file = path.join(DATA, `gen-${events}-${seed}.db`);
  if (!fs.existsSync(file)) {
    const r = spawnSync(process.execPath, [BIN, 'generate', file, '--events', String(events), '--seed', String(seed)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`generate failed: ${r.stderr}`);
  }
  return file;
}

/** Runs the CLI as a user would, with the e2e cache; its standard output, or a throw with its error line. */
export function cli(args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, env: { ...process.env, LEDGER_INSPECTOR_CACHE: path.join(DATA, 'cache') } });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}
export const cliJson = (args: string[]) => JSON.parse(cli([...args, '--json']));

/** `ledger-inspector serve` on a file, with the e2e cache and data folder; `env` adds to (or overrides) them. */
export async function startServe(file: string, env: Record<string, string> = {}): Promise<{ url: string; stop: () => void; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, 'serve', file, '--json'], { env: { ...process.env, LEDGER_INSPECTOR_CACHE: path.join(DATA, 'cache'), LEDGER_INSPECTOR_DATA: APP_DATA, ...env } });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(JSON.parse(line!).url);
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  return { url, child, stop: () => child.kill('SIGINT') };
}

export const test = base.extend<{ app: Page }, { served: { url: string; file: string } }>({
  served: [
    async ({}, use) => {
      const file = ledgerOf(1_000_000);
      const s = await startServe(file);
      await use({ url: s.url, file });
      s.stop();
    },
    { scope: 'worker', timeout: 180_000 },
  ],
  app: async ({ page, served }, use) => {
    fs.rmSync(APP_DATA, { recursive: true, force: true });
    await page.goto(served.url);
    await expect(page.getByTestId('ledger-meta')).toContainText('1,000,000 events');
    await use(page);
    // A save the page sent as the test ended (a bookmark's) lands before the next test empties the data folder:
    // the server answers one more call on the same worker only after it.
    await page.close();
    await settled(served.url);
  },
});

/** Resolves once serve has answered a call on its interactive worker, so after every call sent to it before. */
function settled(url: string): Promise<void> {
  const u = new URL(url);
  const ws = new WebSocket(`ws://${u.host}/ws?token=${u.searchParams.get('token')}`);
  return new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'prefs', args: { scope: DATA } })));
    ws.on('message', (d) => {
      if (JSON.parse(String(d)).id !== 1) return;
      ws.close();
      resolve();
    });
    ws.on('error', reject);
  });
}

export { expect };

/** Saves a screenshot of a state under the test output, for a person to look at. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ROOT, 'test-results/screenshots', `${name}.png`) });
}

export const SIZES = [
  { width: 1280, height: 800 },
  { width: 1440, height: 900 },
] as const;

/** Screenshots of the state at both laptop sizes, light and dark; the page is left at its size before. */
export async function shots(page: Page, name: string): Promise<void> {
  const before = page.viewportSize();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const size of SIZES) {
      await page.setViewportSize(size);
      // Two frames: the layout and the list's resize observer settle.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await shot(page, `${name}-${size.width}x${size.height}-${scheme}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  if (before) await page.setViewportSize(before);
}

/** Opens the replay of the ledger's first failed run from the runs panel, at step 0; its run id. */
export async function openFailedRunReplay(page: Page, file: string): Promise<string> {
  const runId = cliJson(['runs', file, '--status', 'failed'])[0].run_id as string;
  await page.getByTestId('run-status-filter').selectOption('failed');
  await page.locator(`.runs tbody tr[data-run="${runId}"]`).click({ timeout: 90_000 });
  await page.getByTestId('replay-button').click();
  await expect(page.getByTestId('replay-step')).toContainText('step 0 /');
  return runId;
}

export const selectedOffset = (page: Page) => page.locator('.row.selected').getAttribute('data-offset');
