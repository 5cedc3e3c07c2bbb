// The runs table at laptop sizes: a virtualized list whose rows come and go as it scrolls,
// so its columns must hang on the panel's width alone, never on the rows on screen.
import type { Page } from '@playwright/test';
import { expect, shots, SIZES, test } from './serve.ts';

type Cell = { x: number; width: number };

/** The header cells and the first row showing below the sticky header, each cell's x and width. */
const columns = (page: Page) =>
  page.getByTestId('runs-panel').evaluate((panel) => {
    const scroll = panel.querySelector<HTMLElement>('.runs-scroll')!;
    const cells = (row: Element): Cell[] =>
      [...row.children].filter((c) => (c as HTMLElement).offsetParent !== null).map((c) => {
        const r = c.getBoundingClientRect();
        return { x: r.x, width: r.width };
      });
    const headBottom = panel.querySelector('thead')!.getBoundingClientRect().bottom;
    const row = [...panel.querySelectorAll('tbody tr[data-index]')].find((tr) => tr.getBoundingClientRect().top >= headBottom - 1)!;
    return { head: cells(panel.querySelector('thead tr')!), row: cells(row), index: Number(row.getAttribute('data-index')), scrolled: scroll.scrollTop };
  });

/** Scrolls the runs list to a fraction of its height and waits for the rows there to render. */
async function scrollTo(page: Page, fraction: number) {
  const scroll = page.locator('.runs-scroll');
  const want = await scroll.evaluate((el, f) => {
    el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
    return Math.floor(el.scrollTop / 22);
  }, fraction);
  await expect(page.locator(`.runs tbody tr[data-index="${want + 1}"]`)).toBeAttached();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

const same = (a: Cell[], b: Cell[], what: string) => {
  expect(b.length, `${what}: columns`).toBe(a.length);
  for (const [i, c] of a.entries()) for (const k of ['x', 'width'] as const) expect(Math.abs(b[i]![k] - c[k]), `${what}: column ${i + 1} ${k}`).toBeLessThan(0.5);
};

for (const size of SIZES) {
  test(`at ${size.width}x${size.height} the runs table's columns keep their places and widths as it scrolls`, async ({ app }) => {
    await app.setViewportSize(size);
    await expect(app.locator('.runs tbody tr[data-index="0"]')).toBeVisible();
    await app.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const start = await columns(app);
    expect(start.head.length, 'run, status, duration and events show').toBeGreaterThanOrEqual(4);
    same(start.head, start.row, 'the first row under the header');
    for (const fraction of [0.13, 0.5, 0.87, 1]) {
      await scrollTo(app, fraction);
      const now = await columns(app);
      expect(now.index, `scrolled to ${fraction}`).toBeGreaterThan(100);
      same(start.head, now.head, `header at ${fraction} of the list`);
      same(start.head, now.row, `row ${now.index} at ${fraction} of the list`);
    }
    // Every cell's text shows whole in the columns it was given, the longest values too.
    const cut = await app.locator('.runs tbody tr[data-index] td').evaluateAll((tds) =>
      tds.filter((td) => (td as HTMLElement).offsetParent !== null && td.scrollWidth > td.clientWidth).map((td) => td.textContent),
    );
    expect(cut, 'cells cut short').toEqual([]);
    await shots(app, `60-runs-scrolled-${size.width}`);
  });
}
