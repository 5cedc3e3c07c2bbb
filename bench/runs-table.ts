// The runs panel with 5,000 runs, in Debian's Chromium against serve mode: the
// main-thread cost of an arrow-key move in the runs table against one frame, and
// the longest task while sorting 5,000 runs against the 50 ms long-task line.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../playwright.config.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { serveUrl } from './renderer.ts';
import { info, median, ms, quantile, report } from './lib.ts';

const FRAME_MS = 1000 / 60;
const LONG_TASK_MS = 50;

export async function benchRunsTable(dir: string): Promise<void> {
  const file = path.join(dir, 'runs-5000.db');
  if (!fs.existsSync(file)) generateLedger(file, { events: 150_000, runs: 5000, seed: 9 });
  const server = await serveUrl(file, path.join(dir, 'cache'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(server.url);
    await page.waitForSelector('.runs tbody tr[data-run]', { timeout: 120_000 });
    const runs = Number((await page.locator('.runs-panel header .muted').textContent())!.replace(/\D/g, ''));
    // One arrow key: the handler, React's commit and the layout it forces, until the next row has focus.
    const keys = await page.evaluate(async (n) => {
      const out: number[] = [];
      document.querySelector<HTMLElement>('.runs tbody tr[data-run]')!.focus();
      for (let i = 0; i < n; i++) {
        const el = document.activeElement as HTMLElement;
        const t0 = performance.now();
        el.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
        await Promise.resolve();
        document.querySelector('.runs tbody')!.getBoundingClientRect();
        out.push(performance.now() - t0);
        // The focus moves on the next frame; wait for it before the next key.
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      }
      return out;
    }, 200);
    const key = median(keys);
    info(`runs table arrow key with ${runs.toLocaleString('en-US')} runs`, `median ${ms(key)}, p90 ${ms(quantile(keys, 0.9))}`);
    report(`runs table arrow key, ${runs.toLocaleString('en-US')} runs (main thread vs one frame)`, ms(key), ms(FRAME_MS), key / FRAME_MS, '< 1', key < FRAME_MS);
    // Sorting: the longest task from the click on a sort header until the sorted rows are painted.
    const sorts: number[] = [];
    for (const name of ['Events', 'Duration', 'Status', 'Started', 'Run']) {
      sorts.push(
        await page.evaluate(async ({ label }) => {
          const tasks: number[] = [];
          const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => tasks.push(e.duration)));
          obs.observe({ type: 'longtask', buffered: false });
          const t0 = performance.now();
          const button = [...document.querySelectorAll<HTMLButtonElement>('table.runs th button.sort')].find((b) => b.textContent!.startsWith(label))!;
          button.click();
          await new Promise((r) => requestAnimationFrame(r));
          // Click to the frame that paints the sorted rows: every task in it is at most this long.
          const toPaint = performance.now() - t0;
          await new Promise((r) => setTimeout(r, 100));
          obs.disconnect();
          return tasks.length ? Math.max(...tasks) : toPaint;
        }, { label: name }),
      );
    }
    const worst = Math.max(...sorts);
    info(`runs table sort of ${runs.toLocaleString('en-US')} runs, longest task (or click to paint when none) per sort`, sorts.map(ms).join(', '));
    report(`runs table sort, ${runs.toLocaleString('en-US')} runs (longest task vs 50 ms)`, ms(worst), ms(LONG_TASK_MS), worst / LONG_TASK_MS, '< 1', worst < LONG_TASK_MS);
  } finally {
    await browser.close();
    server.stop();
  }
}
