// Runs, node-runs and the replay stepper; filters and search; live follow; exports.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DATA, expect, shot, startServe, test } from './serve.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/ledger-inspector.js');
const cli = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, env: { ...process.env, LEDGER_INSPECTOR_CACHE: path.join(DATA, 'cache') } });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
};

test('filters by kind and by text, with the count and the list following', async ({ app }) => {
  await app.getByTestId('kind-menu').locator('summary').click();
  await app.locator('[data-testid="kind-menu"] .facet[data-kind="node.failed"]').click();
  await app.getByTestId('kind-menu').locator('summary').click();
  await expect(app.getByTestId('match-count')).toHaveText(/^≈?[\d,]+ matching$/);
  const matching = Number((await app.getByTestId('match-count').textContent())!.replace(/\D/g, ''));
  expect(matching).toBeGreaterThan(100);
  expect(matching).toBeLessThan(100_000);
  await expect(app.locator('.row[data-position="5"] .c-kind')).toHaveText('node.failed');
  const kinds = await app.locator('.row .c-kind').allTextContents();
  expect(new Set(kinds)).toEqual(new Set(['node.failed']));
  await app.getByTestId('text-filter').fill('upstream did not');
  await app.getByTestId('text-filter').press('Enter');
  await expect(app.locator('.chip', { hasText: 'text: upstream did not' })).toBeVisible();
  await expect.poll(async () => Number((await app.getByTestId('match-count').textContent())!.replace(/\D/g, ''))).toBeLessThan(matching);
  await expect(app.locator('.row[data-position="0"] .c-payload')).toContainText('upstream did not');
  const payloads = await app.locator('.row .c-payload').allTextContents();
  expect(payloads.length).toBeGreaterThan(0);
  for (const p of payloads) expect(p).toContain('upstream did not');
  await shot(app, '06-filter-kind-text');
  // A typed time range narrows it further and shows as a chip.
  const before = Number((await app.getByTestId('match-count').textContent())!.replace(/\D/g, ''));
  await app.getByTestId('time-from').fill('2026-01-05 12:00');
  await app.getByTestId('time-to').fill('2026-01-05 18:00');
  await app.getByTestId('time-to').press('Enter');
  await expect(app.locator('.chip', { hasText: 'time: 2026-01-05T12:00:00.000Z → 2026-01-05T18:00:00.000Z' })).toBeVisible();
  await expect.poll(async () => Number((await app.getByTestId('match-count').textContent())!.replace(/\D/g, ''))).toBeLessThan(before);
  const times = await app.locator('.row .c-time').allTextContents();
  for (const t of times.filter(Boolean)) expect(t >= '2026-01-05 12:00' && t <= '2026-01-05 18:00').toBe(true);
  await app.keyboard.press('Alt+ArrowLeft');
  await expect(app.locator('.chip', { hasText: 'time:' })).toHaveCount(0);
  // Back returns to the kind-only view; forward to the text filter again.
  await app.keyboard.press('Alt+ArrowLeft');
  await expect(app.locator('.chip', { hasText: 'text:' })).toHaveCount(0);
  await expect(app.locator('.chip', { hasText: 'kind: node.failed' })).toBeVisible();
  await app.keyboard.press('Alt+ArrowRight');
  await expect(app.locator('.chip', { hasText: 'text: upstream did not' })).toBeVisible();
});

test('dragging across the histogram filters to that time range, which the list and count follow; a double-click lets go', async ({ app }) => {
  const chart = app.getByTestId('histogram-chart');
  const over = chart.locator('.u-over');
  // Summaries of 1M events queue on the background worker (facets, then the histogram): on a loaded machine that outlasts the default 5 s.
  const summaries = { timeout: 60_000 };
  await expect(chart.locator('canvas')).toBeVisible(summaries);
  const utc = (label: string) => Date.parse(`${label.replace(' ', 'T')}Z`);
  const labels = app.getByTestId('histogram').locator('.h-label');
  const [first, last] = [utc((await labels.first().textContent())!), utc((await labels.last().textContent())!)];
  const box = (await over.boundingBox())!;
  await app.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
  await app.mouse.down();
  await app.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
  await app.mouse.up();
  const chip = app.locator('.chip', { hasText: 'time:' });
  await expect(chip).toBeVisible();
  const [, a, b] = /time: ([\dT:.Z-]+) → ([\dT:.Z-]+)/.exec((await chip.textContent())!)!;
  // The quarter to the half of the histogram's span, to within a bucket or two.
  const span = last - first;
  expect(Math.abs(Date.parse(a!) - (first + span * 0.25))).toBeLessThan(span * 0.03);
  expect(Math.abs(Date.parse(b!) - (first + span * 0.5))).toBeLessThan(span * 0.03);
  await expect.poll(async () => Number((await app.getByTestId('match-count').textContent())!.replace(/\D/g, '')), summaries).toBeLessThan(1_000_000);
  const inRange = (t: string) => t >= a!.replace('T', ' ').slice(0, 19) && t.slice(0, 19) <= b!.replace('T', ' ').slice(0, 19);
  await expect.poll(async () => (await app.locator('.row .c-time').allTextContents()).filter(Boolean).every(inRange), summaries).toBe(true);
  // The histogram now spans the chosen range.
  await expect.poll(async () => utc((await labels.first().textContent())!), summaries).toBeGreaterThanOrEqual(Date.parse(a!) - 1000);
  await shot(app, '07-histogram-range');
  await over.dblclick();
  await expect(chip).toHaveCount(0);
});

test('the runs panel lists a failed run; its node-runs show a retry', async ({ app, served }) => {
  await app.getByTestId('run-status-filter').selectOption('failed');
  const failed = app.locator('.runs tbody tr.failed');
  await expect(failed.first()).toBeVisible({ timeout: 60_000 });
  // A failed run whose node was retried, as the CLI sees it.
  const runs = JSON.parse(cli(['runs', served.file, '--status', 'failed', '--json'])) as Array<{ run_id: string }>;
  const withRetry = runs.map((r) => r.run_id).find((id) => JSON.parse(cli(['run', served.file, id, '--json'])).node_runs.some((n: { attempt: number }) => n.attempt > 1))!;
  await app.locator(`.runs tbody tr[data-run="${withRetry}"]`).click();
  const detail = app.getByTestId('run-detail');
  await expect(detail).toContainText(withRetry);
  await expect(detail.locator('.status-badge').first()).toHaveText('failed');
  const attempts = await app.locator('[data-testid="node-runs"] tbody tr td:nth-child(2)').allTextContents();
  expect(attempts.map(Number).some((a) => a > 1)).toBe(true);
  await expect(app.getByTestId('gantt')).toBeVisible();
  await shot(app, '07-run-node-runs');
});

test('replay steps forward and back, shows the state of a step as the CLI does, and jumps to the next failure', async ({ app, served }) => {
  const runId = JSON.parse(cli(['runs', served.file, '--status', 'failed', '--json']))[0].run_id as string;
  await app.getByTestId('run-status-filter').selectOption('failed');
  await app.locator(`.runs tbody tr[data-run="${runId}"]`).click();
  await app.getByTestId('replay-button').click();
  const step = app.getByTestId('replay-step');
  await expect(step).toContainText('step 0 /');
  for (let i = 0; i < 5; i++) await app.getByTestId('step-forward').click();
  await expect(step).toContainText('step 5 /');
  await app.getByTestId('step-back').click();
  await expect(step).toContainText('step 4 /');
  await app.keyboard.press('j');
  await app.keyboard.press('j');
  await expect(step).toContainText('step 6 /');
  await app.keyboard.press('k');
  await expect(step).toContainText('step 5 /');
  // The state shown at step 5 is what `ledger-inspector replay --step 5` gives.
  const expected = JSON.parse(cli(['replay', served.file, runId, '--step', '5', '--json']));
  const replay = app.getByTestId('replay');
  await expect(replay.getByTestId('replay-event')).toContainText(`offset ${expected.event.offset}`);
  await expect(app.locator('.row.selected')).toHaveAttribute('data-offset', String(expected.event.offset));
  await expect(replay.locator('table.fields')).toContainText(`event_count${expected.state.run.event_count}`);
  await expect(replay.locator('[data-testid="node-runs"] tbody tr')).toHaveCount(expected.state.node_runs.length);
  for (const field of expected.changed.run) await expect(replay.locator('table.fields tr.changed th', { hasText: new RegExp(`^${field}$`) })).toHaveCount(1);
  await shot(app, '08-replay-step');
  // Next failure: the first step after 5 whose event is a failure.
  const events = JSON.parse(cli(['query', served.file, '--run', runId, '--limit', '10000', '--json'])).events as Array<{ kind: string }>;
  const firstFailure = events.findIndex((e, i) => i >= 5 && /fail/i.test(e.kind)) + 1;
  await app.getByTestId('next-failure').click();
  await expect(step).toContainText(`step ${firstFailure} /`);
  await expect(replay.getByTestId('replay-event')).toContainText('failed');
  await shot(app, '09-replay-next-failure');
});

test('follow mode picks up events another process appends', async ({ page }) => {
  const file = path.join(DATA, `follow-${Date.now()}.db`);
  cli(['generate', file, '--events', '2000', '--seed', '3']);
  const s = await startServe(file);
  try {
    await page.goto(s.url);
    await expect(page.getByTestId('ledger-meta')).toContainText('2,000 events');
    await page.getByTestId('follow').check();
    await expect(page.getByTestId('status')).toHaveText('2,000 / 2,000');
    // A taller window (or a panel above the list that shrinks) pulls the list up by the browser's own
    // scroll, while it stays at its end: not the user scrolling back, so follow goes on (it paused).
    const size = page.viewportSize()!;
    await page.setViewportSize({ width: size.width, height: size.height + 60 });
    await expect(page.getByTestId('follow-resume')).toHaveCount(0);
    const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify({ id: `live-${i}`, run_id: 'live-run', kind: 'live.tick', payload: { i } })).join('\n');
    cli(['append', file], `${lines}\n`);
    await expect(page.getByTestId('status')).toHaveText('2,025 / 2,025', { timeout: 5000 });
    await expect(page.locator('.row.selected')).toHaveAttribute('data-offset', '2025');
    await expect(page.getByTestId('detail')).toContainText('live.tick');
    await expect(page.getByTestId('ledger-meta')).toContainText('2,025 events');
    // The runs and the histogram catch up too.
    await expect(page.locator('.runs tbody tr[data-run="live-run"]')).toBeVisible({ timeout: 5000 });
    const today = new Date().toISOString().slice(0, 10);
    await expect(page.getByTestId('histogram').locator('.h-label').last()).toContainText(today, { timeout: 5000 });
    await shot(page, '10-follow');
  } finally {
    s.stop();
  }
});

test('a cancelled export leaves no file behind', async ({ app }) => {
  const dest = path.join(DATA, `cancelled-${Date.now()}`);
  await app.getByTestId('export-open').click();
  const dialog = app.getByTestId('export-dialog');
  await dialog.getByText('JSONL store').click();
  await expect(dialog).toContainText('the whole ledger (1,000,000 events)');
  await app.getByTestId('export-dest').fill(dest);
  await app.getByTestId('export-go').click();
  await expect(app.getByTestId('export-cancel')).toBeVisible();
  await expect(app.locator('[data-testid="export-progress"] span')).toHaveText(/\d+%/);
  await shot(app, '11-export-progress');
  await app.getByTestId('export-cancel').click();
  await expect(app.getByTestId('status').locator('..')).toContainText('Export cancelled; nothing was written');
  const left = fs.readdirSync(DATA).filter((f) => f.startsWith(path.basename(dest)));
  expect(left).toEqual([]);
});
