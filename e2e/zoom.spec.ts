// The top toolbar and the filter bar at 150% browser zoom on a laptop: 1280x800 and
// 1440x900 at 150% leave 853x533 and 960x600 CSS pixels. Every control shows whole
// inside the window, none overlaps another, and the event list still has rows; the
// bar's menus open inside the window there and at the laptop sizes.
import type { Page } from '@playwright/test';
import { expect, shot, SIZES, test } from './serve.ts';

const ZOOMED = [
  { width: 853, height: 533 },
  { width: 960, height: 600 },
] as const;

type Box = { name: string; x: number; y: number; width: number; height: number };

/** The toolbar's and the filter bar's controls, each named by its test id, label or text, with its box. */
const controls = (page: Page): Promise<Box[]> =>
  page.evaluate(() =>
    [
      ...document.querySelectorAll<HTMLElement>(
        '.toolbar input, .toolbar button, .toolbar .layout, .toolbar [data-testid="ledger-meta"], .toolbar label.follow, ' +
          '[data-testid="filter-bar"] summary, [data-testid="filter-bar"] input, [data-testid="filter-bar"] [data-testid="match-count"], [data-testid="columns-button"]',
      ),
    ]
      .filter((el) => !el.closest('.facet-list, .columns-list') && !(el instanceof HTMLInputElement && el.type === 'checkbox'))
      .map((el) => {
        const r = el.getBoundingClientRect();
        const name = el.getAttribute('data-testid') ?? el.getAttribute('aria-label') ?? el.className ?? '';
        return { name: `${el.tagName.toLowerCase()} ${name} "${el.textContent!.trim().slice(0, 20)}"`, x: r.x, y: r.y, width: r.width, height: r.height };
      }),
  );

/** Two boxes overlap when they share more than a hair of area (the event count holds the layout badge, so those two are left out). */
const overlap = (a: Box, b: Box) => Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x) > 0.5 && Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y) > 0.5;

for (const size of ZOOMED) {
  test(`at ${size.width}x${size.height} (a laptop at 150% zoom) every toolbar and filter-bar control shows, none overlaps, and the list has rows`, async ({ app }) => {
    await app.setViewportSize(size);
    // The match count has a value, as it does whenever a filter is applied.
    await app.getByTestId('text-filter').fill('upstream');
    await app.getByTestId('text-filter').press('Enter');
    await expect(app.getByTestId('match-count')).toHaveText(/matching$/);
    await app.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const boxes = await controls(app);
    // The toolbar's eight (a running job adds its own) and the filter bar's eleven.
    expect(boxes.length).toBeGreaterThanOrEqual(19);
    for (const b of boxes) {
      expect(b.width > 0 && b.height > 0, `${b.name} is shown`).toBe(true);
      expect(b.x >= 0 && b.y >= 0 && b.x + b.width <= size.width + 0.5 && b.y + b.height <= size.height, `${b.name} inside the window (${JSON.stringify(b)})`).toBe(true);
    }
    for (const [i, a] of boxes.entries())
      for (const b of boxes.slice(i + 1)) {
        if ([a, b].some((x) => x.name.includes('ledger-meta')) && [a, b].some((x) => x.name.includes('layout'))) continue;
        expect(overlap(a, b), `${a.name} overlaps ${b.name}`).toBe(false);
      }
    // Nothing is cut inside its own box either: a button's or a menu's text shows whole.
    const cut = await app.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.toolbar button, .toolbar .ledger-meta, .toolbar label.follow, [data-testid="filter-bar"] summary, [data-testid="filter-bar"] button, [data-testid="match-count"]')]
        .filter((el) => !el.closest('.facet-list, .columns-list, .filter-applied') && el.scrollWidth > el.clientWidth + 1)
        .map((el) => el.textContent),
    );
    expect(cut, 'controls whose text is cut').toEqual([]);
    // The list below the bars still shows rows, whole inside it and the window.
    const rows = await app.getByTestId('event-list').evaluate((list, height) => {
      const box = list.getBoundingClientRect();
      return [...list.querySelectorAll('.row')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.top >= box.top && r.bottom <= Math.min(box.bottom, height);
      }).length;
    }, size.height);
    expect(rows, 'rows wholly in the list').toBeGreaterThanOrEqual(5);
    for (const scheme of ['light', 'dark'] as const) {
      await app.emulateMedia({ colorScheme: scheme });
      await shot(app, `50-zoomed-${size.width}x${size.height}-${scheme}`);
    }
  });
}

test('the filter bar\'s menus open inside the window, zoomed or not', async ({ app }) => {
  const menus = ['kind-menu', 'run-menu', 'actor-menu', 'bookmarks-menu', 'views-menu'];
  for (const size of [...ZOOMED, ...SIZES]) {
    await app.setViewportSize(size);
    for (const menu of menus) {
      await app.getByTestId(menu).locator('summary').click();
      const list = app.getByTestId(menu).locator('.facet-list');
      await expect(list).toBeVisible();
      const b = (await list.boundingBox())!;
      expect(b.x >= 0 && b.y >= 0 && b.x + b.width <= size.width && b.y + b.height <= size.height, `${menu} at ${size.width}x${size.height}: ${JSON.stringify(b)}`).toBe(true);
      if (menu === 'views-menu' && size === ZOOMED[0]) await shot(app, `50-zoomed-views-menu-${size.width}x${size.height}`);
      await app.keyboard.press('Escape');
      await expect(list).toBeHidden();
    }
    await app.getByTestId('columns-button').click();
    const b = (await app.getByTestId('columns-list').boundingBox())!;
    expect(b.x >= 0 && b.x + b.width <= size.width && b.y + b.height <= size.height, `columns at ${size.width}x${size.height}: ${JSON.stringify(b)}`).toBe(true);
    await app.keyboard.press('Escape');
    await expect(app.getByTestId('columns-list')).toHaveCount(0);
  }
});
