// Layout at laptop sizes, light and dark, measured: the filter bar's controls and its
// match count stay put on one line as filters are added and values typed, the chips on a
// line of their own below.
import type { Page } from '@playwright/test';
import { expect, shots, SIZES, test } from './serve.ts';

type Box = { name: string; x: number; y: number; width: number; height: number };

/** The filter bar's controls (menus, fields, the match count, the tools at its end), each named by its test id, with its box. */
const controls = (page: Page): Promise<Box[]> =>
  page.getByTestId('filter-bar').evaluate((bar) =>
    [...bar.querySelectorAll<HTMLElement>('summary, input, [data-testid="match-count"], [data-testid="columns-button"]')]
      .filter((el) => !el.closest('.facet-list, .columns-list'))
      .map((el) => {
        const r = el.getBoundingClientRect();
        return { name: el.closest('[data-testid]')!.getAttribute('data-testid')!, x: r.x, y: r.y, width: r.width, height: r.height };
      }),
  );

/** On one line: every control's middle at the same height (they differ in height by a pixel or two). */
const oneLine = (boxes: Box[]) => expect(new Set(boxes.map((b) => Math.round(b.y + b.height / 2))).size, 'one line').toBe(1);

const same = (a: Box[], b: Box[], what: string) => {
  expect(b.map((x) => x.name), what).toEqual(a.map((x) => x.name));
  for (const [i, x] of a.entries()) for (const k of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(b[i]![k] - x[k]), `${x.name} ${k} ${what}`).toBeLessThan(0.5);
};

for (const size of SIZES) {
  test(`at ${size.width}x${size.height} the filter bar's controls stay on one line and never move as filters are added and values typed`, async ({ app }) => {
    await app.setViewportSize(size);
    const bar = app.getByTestId('filter-bar');
    const start = await controls(app);
    oneLine(start);
    expect(start.map((b) => b.name)).toContain('match-count');
    const last = start.at(-1)!;
    expect(last.x + last.width).toBeLessThanOrEqual(size.width);
    // Typed, not yet applied.
    await app.getByTestId('text-filter').fill('a long search text that is wider than its field');
    await app.getByTestId('where-filter').fill('$.input.items=445');
    await app.getByTestId('time-from').fill('2026-01-05 08:00:00');
    same(start, await controls(app), 'while typing');
    // Applied, one after another: kinds in and out, a run, an actor, text, a condition, a time range, a bookmark.
    await app.getByTestId('kind-menu').locator('summary').click();
    await app.locator('[data-testid="kind-menu"] .facet[data-kind="node.failed"]').click();
    await app.locator('[data-testid="kind-menu"] .facet[data-kind="log"]').click();
    await app.locator('[data-testid="kind-menu"] .facet[data-kind="log"]').click();
    await app.keyboard.press('Escape');
    await expect(bar.locator('.chip')).toHaveCount(2);
    await expect(app.getByTestId('match-count')).toHaveText(/matching$/);
    same(start, await controls(app), 'with kinds in and out');
    const chips = (await bar.locator('.chips').boundingBox())!;
    await app.getByTestId('run-menu').locator('summary').click();
    await app.locator('[data-testid="run-menu"] .facet').first().click();
    await app.keyboard.press('Escape');
    await app.getByTestId('actor-menu').locator('summary').click();
    await app.locator('[data-testid="actor-menu"] .facet').first().click();
    await app.keyboard.press('Escape');
    await app.getByTestId('text-filter').fill('upstream');
    await app.getByTestId('text-filter').press('Enter');
    await app.getByTestId('where-filter').fill('$.attempt=2');
    await app.getByTestId('where-filter').press('Enter');
    await app.getByTestId('time-to').fill('2026-01-06 08:00:00');
    await app.getByTestId('time-to').press('Enter');
    // Seven chips: the time range's two ends are one.
    await expect(bar.locator('.chip')).toHaveCount(7);
    await app.getByTestId('event-list').focus();
    await app.keyboard.press('b');
    await expect(app.getByTestId('bookmarks-menu').locator('summary')).toHaveAccessibleName('Bookmarks (1)');
    await expect(app.getByTestId('kind-menu').locator('summary')).toHaveAccessibleName('Kinds (1 in, 1 out)');
    await expect(app.getByTestId('match-count')).toHaveText(/matching$/);
    same(start, await controls(app), 'with eight filters, counted, and a bookmark');
    // The chips have a line of their own below the controls, where it was with two, each whole inside the bar.
    expect((await bar.locator('.chips').boundingBox())!.y).toBe(chips.y);
    const bottom = Math.max(...start.map((b) => b.y + b.height));
    const edge = (await bar.boundingBox())!;
    for (const chip of await bar.locator('.chip').all()) {
      const [b, label] = [(await chip.boundingBox())!, (await chip.textContent())!];
      expect(b.y, label).toBeGreaterThanOrEqual(bottom);
      expect(b.x + b.width, label).toBeLessThanOrEqual(edge.x + edge.width);
    }
    await shots(app, '50-filter-bar-full');
  });
}
