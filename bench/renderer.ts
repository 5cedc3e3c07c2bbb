// Issue 5 targets, in Debian's Chromium against serve mode: how long from a jump
// to rows on screen, and whether the renderer's heap stays flat after scrolling 1M rows.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../playwright.config.ts';
import { info, median, ms, quantile, report } from './lib.ts';

export async function serveUrl(file: string, cacheDir: string): Promise<{ url: string; stop: () => void }> {
  const bin = path.join(import.meta.dirname, '../bin/ledger-inspector.js');
  const child = spawn(process.execPath, [bin, 'serve', file, '--json'], { env: { ...process.env, LEDGER_INSPECTOR_CACHE: cacheDir } });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!).url);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { url, stop: () => child.kill('SIGINT') };
}

export async function benchRenderer(dir: string, file: string, events: number): Promise<void> {
  const server = await serveUrl(file, path.join(dir, 'cache'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
    await page.goto(server.url);
    await page.waitForSelector('.row[data-position="0"][data-offset]');
    // The first page as the user sees it: with the runs panel and histogram filled in beside it.
    await page.waitForSelector('.runs tbody tr', { timeout: 120_000 });
    await page.waitForSelector('[data-testid="histogram-chart"] canvas');
    const cdp = await page.context().newCDPSession(page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    const firstPage = await heap();

    // Jump the scrollbar to a position and wait until no row on screen is still loading.
    const jumpMs = (fraction: number) =>
      page.evaluate(async (f) => {
        const el = document.querySelector<HTMLElement>('[data-testid="event-list"]')!;
        const t0 = performance.now();
        el.scrollTop = f * (el.scrollHeight - el.clientHeight);
        for (;;) {
          await new Promise((r) => requestAnimationFrame(r));
          const rows = el.querySelectorAll('.row');
          if (rows.length && !el.querySelector('.row.loading')) return performance.now() - t0;
        }
      }, fraction);
    const trips: number[] = [];
    let x = 7;
    for (let i = 0; i < 40; i++) {
      x = (x * 48271) % 2147483647;
      trips.push(await jumpMs((x % 10_000) / 10_000));
    }
    info(`renderer page round trip, jump to a random position of ${events.toLocaleString('en-US')} rows (request to rows on screen)`, `median ${ms(median(trips))}, p90 ${ms(quantile(trips, 0.9))}`);
    // The baseline: two frames of this page as the browser paces them now (16.7 ms each when idle).
    const frame = await page.evaluate(async () => {
      const gaps: number[] = [];
      let last = await new Promise<number>((r) => requestAnimationFrame(r));
      for (let i = 0; i < 60; i++) {
        const now = await new Promise<number>((r) => requestAnimationFrame(r));
        gaps.push(now - last);
        last = now;
      }
      return gaps.sort((a, b) => a - b)[30]!;
    });
    const jump = median(trips);
    report(`renderer jump, ${events.toLocaleString('en-US')} rows (median vs two frames)`, ms(jump), ms(2 * frame), jump / (2 * frame), '<= 1', jump <= 2 * frame);

    // Scroll through the whole list, one screen-sized step of the thumb at a time.
    const steps = 600;
    for (let i = 0; i <= steps; i++) await jumpMs(i / steps);
    const after = await heap();
    const ratio = after / firstPage;
    report(`renderer heap after scrolling ${events.toLocaleString('en-US')} rows vs after the first page`, `${(after / 2 ** 20).toFixed(1)} MiB`, `${(firstPage / 2 ** 20).toFixed(1)} MiB`, ratio, '<= 1.5', ratio <= 1.5);
  } finally {
    await browser.close();
    server.stop();
  }
}
