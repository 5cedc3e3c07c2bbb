// A LangGraph checkpoint database, written by the real library, opened in the app
// with no mapping: threads as runs, the failed-then-retried node, and a replay that
// shows the graph's state at each checkpoint.
import { test } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeLangGraph } from '../test/helpers/frameworks.ts';
import { expect, shot, startServe } from './serve.ts';

test('a LangGraph thread opens as a run, its retried node shows, and replay steps through its checkpoints', async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-e2e-lg-'));
  const file = path.join(dir, 'checkpoints.db');
  await writeLangGraph(file);
  const s = await startServe(file, { LEDGER_INSPECTOR_DATA: path.join(dir, 'data') });
  try {
    await page.goto(s.url);
    await expect(page.getByTestId('ledger-meta')).toContainText('langgraph');
    await expect(page.getByTestId('ledger-meta')).toContainText(' 42 events');
    const run = page.getByTestId('runs-panel').locator('tr[data-run="thread-1"]');
    await expect(run).toContainText('completed');
    await run.click();
    const nodes = page.getByTestId('run-detail').getByTestId('node-runs').locator('tbody tr');
    await expect(nodes.filter({ hasText: 'fetch' })).toHaveCount(2);
    await expect(nodes.filter({ hasText: 'fetch' }).first()).toContainText('upstream timed out');
    // The failed try and its retry, milliseconds apart in a run of seconds, are both seen on the timeline: side by side, not one under the other.
    const bars = page.getByTestId('run-detail').locator('rect.g-bar');
    await expect(bars.first()).toBeVisible();
    const fetchBars = await bars.evaluateAll((rs) =>
      rs
        .filter((r) => r.getAttribute('aria-label')?.startsWith('fetch'))
        .map((r) => ({ x: Number(r.getAttribute('x')), w: Number(r.getAttribute('width')), failed: r.classList.contains('s-failed') })),
    );
    expect(fetchBars.map((b) => b.failed)).toEqual([true, false]);
    expect(fetchBars[0]!.x + fetchBars[0]!.w).toBeLessThan(fetchBars[1]!.x);
    expect(Math.min(...fetchBars.map((b) => b.w))).toBeGreaterThanOrEqual(3);
    await page.getByTestId('replay-button').click();
    await page.getByTestId('next-failure').click();
    const replay = page.getByTestId('replay');
    await expect(replay.getByTestId('replay-event')).toContainText('task.error');
    await expect(replay.getByTestId('checkpoint-write')).toContainText('fetch wrote __error__');
    await page.getByTitle('Run to the end').click();
    await expect(replay.getByTestId('replay-event')).toContainText('checkpoint');
    const state = replay.getByTestId('checkpoint-state');
    await expect(state.locator('tr', { hasText: 'items' })).toContainText('["planned","fetched","reviewed"]');
    await expect(state.locator('tr.changed', { hasText: 'approved' })).toContainText('true');
    await shot(page, 'langgraph-replay');
  } finally {
    s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
