// The list at laptop sizes with the runs panel and the detail pane open: every
// column a reader needs is on screen, columns fit, hide, move and resize, and the
// layout comes back after a reload.
import type { Page } from '@playwright/test';
import { expect, shots, SIZES, test } from './serve.ts';

const inViewport = async (page: Page, selector: string) => {
  const box = (await page.locator(selector).first().boundingBox())!;
  const vp = page.viewportSize()!;
  return box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height;
};

for (const size of SIZES) {
  test(`at ${size.width}x${size.height} with the runs panel open, offset, time, run, kind, actor and payload show`, async ({ app }) => {
    await app.setViewportSize(size);
    await expect(app.getByTestId('runs-panel')).toBeVisible();
    await expect(app.getByTestId('detail')).toBeVisible();
    for (const col of ['offset', 'time', 'run_id', 'kind', 'actor']) {
      const header = app.locator(`.list-header [data-column="${col}"]`);
      await expect(header).toBeVisible();
      expect(await inViewport(app, `.list-header [data-column="${col}"]`), `${col} header in the viewport`).toBe(true);
    }
    const row = app.locator('.row[data-position="2"]');
    await expect(row.locator('.c-kind')).toHaveText(/^[a-z_.]+$/);
    expect(await inViewport(app, '.row[data-position="2"] .c-kind'), 'a kind cell in the viewport').toBe(true);
    expect(await inViewport(app, '.row[data-position="2"] .c-actor'), 'an actor cell in the viewport').toBe(true);
    // Time to the millisecond, never cut.
    const time = row.locator('.c-time');
    await expect(time).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect(await time.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    await shots(app, `10-laptop-list`);
    // The payload preview starts on screen with room to read it, left of the detail pane.
    const payload = (await row.locator('.c-payload').boundingBox())!;
    const detail = (await app.getByTestId('detail').boundingBox())!;
    expect(payload.x + 120).toBeLessThan(detail.x);
    await expect(app.locator('.list-header [data-column="payload"]')).toBeVisible();
  });
}

test('kinds are coloured by family: failures red, successes green, starts neither', async ({ app }) => {
  // Read the colours the app paints: the dots of the kind menu.
  await app.getByTestId('kind-menu').locator('summary').click();
  const dot = async (kind: string) => {
    const rgb = await app.locator(`.facet[data-kind="${kind}"] .kind-dot`).evaluate((el) => getComputedStyle(el).backgroundColor);
    const [r, g, b] = rgb.match(/\d+/g)!.map(Number) as [number, number, number];
    return { r, g, b };
  };
  const failed = await dot('node.failed');
  expect(failed.r).toBeGreaterThan(failed.g * 1.8);
  const runFailed = await dot('run.failed');
  expect(runFailed.r).toBeGreaterThan(runFailed.g * 1.8);
  const completed = await dot('node.completed');
  expect(completed.g).toBeGreaterThan(completed.r * 1.5);
  const started = await dot('node.started');
  expect(started.r > started.g * 1.8, 'node.started is not red').toBe(false);
  expect(started.g > started.r * 1.5 && started.g > started.b * 1.5, 'node.started is not green').toBe(false);
  await app.keyboard.press('Escape');
});

test('columns hide, move and resize, and the layout comes back after a reload', async ({ app }) => {
  await app.setViewportSize(SIZES[0]);
  await app.getByTestId('columns-button').click();
  await app.locator('[data-testid="columns-list"] input[data-column="actor"]').uncheck();
  await expect(app.locator('.list-header [data-column="actor"]')).toHaveCount(0);
  await app.getByRole('button', { name: 'Move Kind left' }).click();
  await app.keyboard.press('Escape');
  const order = await app.locator('.list-header [role="columnheader"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-column')));
  expect(order.indexOf('kind')).toBeLessThan(order.indexOf('seq'));
  // Drag the run column wider.
  const handle = app.locator('.list-header [data-column="run_id"] .resize');
  const before = (await app.locator('.list-header [data-column="run_id"]').boundingBox())!.width;
  const hb = (await handle.boundingBox())!;
  await app.mouse.move(hb.x + 2, hb.y + 5);
  await app.mouse.down();
  await app.mouse.move(hb.x + 62, hb.y + 5, { steps: 4 });
  await app.mouse.up();
  await expect.poll(async () => (await app.locator('.list-header [data-column="run_id"]').boundingBox())!.width).toBeGreaterThan(before + 50);
  const widened = (await app.locator('.list-header [data-column="run_id"]').boundingBox())!.width;
  // Hide the runs panel too, then reload: all of it is remembered.
  await app.getByTestId('hide-runs').click();
  await expect(app.getByTestId('runs-panel')).toHaveCount(0);
  await app.reload();
  await expect(app.getByTestId('ledger-meta')).toContainText('1,000,000 events');
  await expect(app.locator('.row[data-position="0"]')).toHaveAttribute('data-offset', '1');
  await expect(app.locator('.list-header [data-column="actor"]')).toHaveCount(0);
  expect(await app.locator('.list-header [role="columnheader"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-column')))).toEqual(order);
  expect(Math.abs((await app.locator('.list-header [data-column="run_id"]').boundingBox())!.width - widened)).toBeLessThan(2);
  await expect(app.getByTestId('runs-panel')).toHaveCount(0);
  await app.getByTestId('show-runs').click();
  await expect(app.getByTestId('runs-panel')).toBeVisible();
});

test('wide columns scroll sideways, header and rows together', async ({ app }) => {
  await app.setViewportSize(SIZES[0]);
  const handle = app.locator('.list-header [data-column="run_id"] .resize');
  const hb = (await handle.boundingBox())!;
  await app.mouse.move(hb.x + 2, hb.y + 5);
  await app.mouse.down();
  await app.mouse.move(hb.x + 600, hb.y + 5, { steps: 6 });
  await app.mouse.up();
  const grid = app.getByTestId('event-list');
  await expect.poll(() => grid.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
  await grid.evaluate((el) => (el.scrollLeft = el.scrollWidth));
  const header = (await app.locator('.list-header [data-column="payload"]').boundingBox())!;
  const cell = (await app.locator('.row[data-position="1"] .c-payload').boundingBox())!;
  expect(Math.abs(header.x - cell.x)).toBeLessThan(2);
  const detail = (await app.getByTestId('detail').boundingBox())!;
  expect(cell.x + 100).toBeLessThan(detail.x);
});
