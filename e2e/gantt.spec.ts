// The run's timeline of attempts: a time axis whose ticks increase and whose labels
// fit at any panel width, node labels cut with the full name kept, failed attempts
// that were retried marked, a tooltip per attempt, and a click that goes to the
// attempt's first event. And the runs panel shows its columns whole at 1280x800.
import type { Page } from '@playwright/test';
import { formatMs } from '../src/shared/format.ts';
import { cliJson, expect, shots, SIZES, test } from './serve.ts';

interface NodeRun {
  node_run_id: string;
  node_id: string;
  attempt: number;
  status: string;
  retried: boolean;
  started_at: string | null;
  duration_ms: number | null;
  first_offset: number;
}

/** The axis as drawn: each tick's time and label, and the boxes of the labels and of the drawing. */
const axis = (page: Page) =>
  page.locator('[data-testid="run-detail"] [data-testid="gantt"]').evaluate((svg) => {
    const box = svg.getBoundingClientRect();
    const ticks = [...svg.querySelectorAll('.g-tick')].map((g) => {
      const r = g.querySelector('text')!.getBoundingClientRect();
      return { time: Number(g.getAttribute('data-time')), label: g.textContent ?? '', left: r.left, right: r.right };
    });
    return { ticks, left: box.left, right: box.right, width: box.width };
  });

async function expectReadableAxis(page: Page) {
  const a = await axis(page);
  expect(a.ticks.length, `ticks at ${a.width}px`).toBeGreaterThanOrEqual(2);
  for (let i = 1; i < a.ticks.length; i++) {
    expect(a.ticks[i]!.time).toBeGreaterThan(a.ticks[i - 1]!.time);
    // Labels never overlap: a gap between each and the next.
    expect(a.ticks[i]!.left).toBeGreaterThan(a.ticks[i - 1]!.right);
  }
  for (const t of a.ticks) {
    // HH:MM, HH:MM:SS or MM:SS.mmm, as precise as the step needs, and the tick's own time.
    expect(t.label).toMatch(/^\d\d:\d\d(:\d\d)?$|^\d\d:\d\d\.\d{3}$/);
    expect(new Date(t.time).toISOString()).toContain(t.label);
    expect(t.left).toBeGreaterThanOrEqual(a.left - 0.5);
    expect(t.right).toBeLessThanOrEqual(a.right + 0.5);
  }
  // Node labels fit the label column; a cut one ends in '…' and keeps its name in its title.
  const labels = await page.locator('[data-testid="run-detail"] .g-label').evaluateAll((els) =>
    els.map((el) => ({ text: (el.firstChild?.textContent ?? '').trim(), full: el.querySelector('title')?.textContent ?? '', node: el.getAttribute('data-node'), right: el.getBoundingClientRect().right })),
  );
  const firstBar = await page.locator('[data-testid="run-detail"] .g-bar').evaluateAll((els) => Math.min(...els.map((e) => e.getBoundingClientRect().left)));
  expect(labels.length).toBeGreaterThan(0);
  for (const l of labels) {
    expect(l.full).toBe(l.node);
    expect(l.text === l.full || (l.text.endsWith('…') && l.full.startsWith(l.text.slice(0, -1)))).toBe(true);
    expect(l.right).toBeLessThanOrEqual(firstBar + 0.5);
  }
  return a;
}

test('the Gantt has a time axis readable at two panel widths, marks retried failures, explains each attempt and goes to its first event', async ({ app, served }) => {
  await app.setViewportSize(SIZES[0]);
  const failed = cliJson(['runs', served.file, '--status', 'failed']) as Array<{ run_id: string }>;
  let runId = '';
  let nodes: NodeRun[] = [];
  for (const r of failed) {
    nodes = cliJson(['run', served.file, r.run_id]).node_runs;
    runId = r.run_id;
    if (nodes.some((n) => n.status === 'failed' && n.retried)) break;
  }
  const retried = nodes.find((n) => n.status === 'failed' && n.retried)!;
  expect(retried, 'a failed run with a retried failure').toBeTruthy();
  await app.getByTestId('run-status-filter').selectOption('failed');
  await app.locator(`.runs tbody tr[data-run="${runId}"]`).click({ timeout: 90_000 });
  await expect(app.getByTestId('run-detail')).toContainText(runId);

  const narrow = await expectReadableAxis(app);
  // Widen the details panel by keyboard: the axis is drawn again at the new width, with room for more ticks.
  const splitter = app.getByRole('separator', { name: 'Resize the details panel' });
  await splitter.focus();
  for (let i = 0; i < 12; i++) await splitter.press('ArrowLeft');
  await expect.poll(async () => (await axis(app)).width).toBeGreaterThan(narrow.width + 200);
  const wide = await expectReadableAxis(app);
  expect(wide.ticks.length).toBeGreaterThanOrEqual(narrow.ticks.length);

  // The retried failure stays failed, marked retried; its tooltip names node, attempt, status, start and duration.
  const bar = app.locator(`[data-testid="run-detail"] rect[data-node-run="${retried.node_run_id}"]`);
  await expect(bar).toHaveClass(/s-failed/);
  await expect(bar).toHaveClass(/retried/);
  await expect(app.locator('[data-testid="run-detail"] .g-legend')).toContainText('retried');
  await bar.hover();
  const tip = app.getByTestId('gantt-tooltip');
  await expect(tip).toBeVisible();
  await expect(tip).toContainText(`${retried.node_id}, attempt ${retried.attempt}`);
  await expect(tip).toContainText('status failed (retried)');
  await expect(tip).toContainText(`start ${retried.started_at!.replace('T', ' ').replace('Z', '')}`);
  await expect(tip).toContainText(`duration ${formatMs(retried.duration_ms!)}`);
  await app.mouse.move(0, 0);
  await expect(tip).toHaveCount(0);

  // A click on an attempt goes to its first event.
  await bar.click();
  await app.getByRole('tab', { name: 'Event' }).click();
  await expect(app.getByTestId('detail')).toContainText(`offset ${retried.first_offset}`);
});

test("the replay's Gantt grows with the steps and marks what a step changed", async ({ app, served }) => {
  const failed = cliJson(['runs', served.file, '--status', 'failed']) as Array<{ run_id: string }>;
  const runId = failed.find((r) => (cliJson(['run', served.file, r.run_id]).node_runs as NodeRun[]).some((n) => n.retried))!.run_id;
  const all = cliJson(['run', served.file, runId]).node_runs as NodeRun[];
  await app.getByTestId('run-status-filter').selectOption('failed');
  await app.locator(`.runs tbody tr[data-run="${runId}"]`).click({ timeout: 90_000 });
  await app.getByTestId('replay-button').click();
  const gantt = app.locator('[data-testid="replay"] [data-testid="gantt"]');
  const bars = gantt.locator('.g-bar');
  // Step by step until the first attempt shows: the step that opened it is marked as changed.
  const step = app.getByTestId('replay-step');
  for (let i = 1; (await bars.count()) === 0; i++) {
    await app.getByTestId('step-forward').click();
    await expect(step).toContainText(`step ${i} /`);
  }
  await expect(bars).toHaveCount(1);
  await expect(bars.first()).toHaveClass(/changed/);
  // At the end, every attempt the CLI rebuilds, the retried failure outlined.
  await app.getByRole('button', { name: '▶|' }).click();
  await expect(bars).toHaveCount(all.length);
  await expect(gantt.locator('.g-bar.s-failed.retried')).toHaveCount(all.filter((n) => n.status === 'failed' && n.retried).length);
  await expect(gantt.locator('.g-tick').first()).toBeVisible();
  // The event at that step beside the replay and its timeline, for a person to look at.
  await gantt.scrollIntoViewIfNeeded();
  await shots(app, '40-replay-gantt');
});

test('at 1280x800 with the default layout, the runs panel shows run, status, duration and events whole', async ({ app }) => {
  await app.setViewportSize(SIZES[0]);
  const scroll = app.locator('.runs-scroll');
  await expect(app.locator('.runs tbody tr[data-run]').first()).toBeVisible({ timeout: 90_000 });
  const layout = await scroll.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const heads = [...el.querySelectorAll('table.runs thead th')].map((th) => ({ text: th.textContent?.trim(), shown: getComputedStyle(th).display !== 'none', left: th.getBoundingClientRect().left, right: th.getBoundingClientRect().right }));
    const cut = [...el.querySelectorAll('table.runs tbody tr[data-run] td')].filter((td) => getComputedStyle(td).display !== 'none' && td.scrollWidth > td.clientWidth + 1).map((td) => td.textContent);
    return { left: box.left, right: box.left + el.clientWidth, sideways: el.scrollWidth > el.clientWidth, heads, cut };
  });
  expect(layout.sideways, 'the runs table fits its panel').toBe(false);
  // A narrow panel keeps run, status, duration and events; workflow and start are in the run's detail.
  expect(layout.heads.filter((h) => h.shown).map((h) => h.text?.replace(/ [▲▼]$/, ''))).toEqual(['Run', 'Status', 'Duration', 'Events']);
  for (const h of layout.heads.filter((x) => x.shown)) {
    expect(h.left, `${h.text} inside the panel`).toBeGreaterThanOrEqual(layout.left - 0.5);
    expect(h.right, `${h.text} inside the panel`).toBeLessThanOrEqual(layout.right + 0.5);
  }
  expect(layout.cut, 'cells cut').toEqual([]);
});
