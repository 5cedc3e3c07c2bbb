// A JSONL store not yet indexed opens in the browser with its first rows at once,
// the total shown as an estimate with how far indexing got, then the exact total.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { DATA, expect, ledgerOf, shot, startServe, test } from './serve.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/ledger-inspector.js');

test('the first rows show while a JSONL store is indexed, with "≈N, indexing N%", then the exact total', async ({ page }) => {
  test.setTimeout(240_000);
  // Big enough that indexing outlasts the page's load on a quiet machine too (150,000 lines were indexed before the first look).
  const events = 1_000_000;
  const source = ledgerOf(events);
  // A store of its own, so that its cache index is cold.
  const store = path.join(DATA, `jsonl-store-${process.pid}-${Date.now()}`);
  // Not a blocking spawn: were the export ever to hang, the test's timeout would still fire and name this step.
  await test.step('export the ledger as a JSONL store', () => promisify(execFile)(process.execPath, [BIN, 'export-jsonl', source, store]));
  const served = await startServe(store);
  // The summaries asked for at once: indexing pushes come faster than a growing index answers them,
  // and queued, the histogram came half a minute late. One from the open may overlap the pushes' one.
  const histograms = new Set<number>();
  let mostHistograms = 0;
  page.on('websocket', (ws) => {
    ws.on('framesent', ({ payload }) => {
      const m = JSON.parse(String(payload));
      if (m.method === 'histogram') mostHistograms = Math.max(mostHistograms, histograms.add(m.id).size);
    });
    ws.on('framereceived', ({ payload }) => histograms.delete(JSON.parse(String(payload)).id));
  });
  try {
    await page.goto(served.url);
    await expect(page.locator('.row[data-position="0"]')).toHaveAttribute('data-offset', '1');
    // Once shown, a row stays shown while indexing pushes its progress (each reloads the rows on screen).
    await page.evaluate(() => {
      const w = window as unknown as { blanked: number };
      w.blanked = 0;
      new MutationObserver(() => document.querySelector('.row[data-position="0"].loading') && w.blanked++).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
    });
    await expect(page.getByTestId('status')).toContainText(/\/ ≈[\d,]+, indexing \d+%/);
    // The top bar gives the same estimate, not the count indexed so far.
    await expect(page.getByTestId('ledger-meta')).toContainText(/≈[\d,]+ events/);
    await shot(page, '20-jsonl-indexing');
    await expect(page.getByTestId('status')).toHaveText(`1 / ${events.toLocaleString('en-US')}`, { timeout: 180_000 });
    await expect(page.getByTestId('ledger-meta')).toContainText(`${events.toLocaleString('en-US')} events`);
    expect(await page.evaluate(() => (window as unknown as { blanked: number }).blanked)).toBe(0);
    expect(mostHistograms).toBeGreaterThan(0);
    expect(mostHistograms).toBeLessThanOrEqual(2);
  } finally {
    // Its indexer thread goes with it: nothing of this test keeps a core busy for the next ones.
    await page.close();
    const exited = new Promise((r) => served.child.once('exit', r));
    served.stop();
    await test.step('serve stops on Ctrl+C while indexing', () => exited);
    fs.rmSync(store, { recursive: true, force: true });
  }
});
