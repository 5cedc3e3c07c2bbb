// The replay's "what changed" table at laptop sizes, measured in the browser: no key or
// value is broken inside a word that would fit its column, a status, a number or a field
// name is never broken at all, and the table keeps its columns and the pane's width from
// step to step.
import type { Page } from '@playwright/test';
import { cliJson, expect, openFailedRunReplay, shots, SIZES, test } from './serve.ts';

type Cell = { text: string; broken: Array<{ word: string; width: number }>; room: number; cut: boolean; title: string | null };

/** Every cell of the diff: its words that span two line boxes (with their unbroken width), the width its text has, and whether it is cut. */
const cells = (page: Page): Promise<Cell[]> =>
  page.getByTestId('replay-diff').evaluate((table) =>
    [...table.querySelectorAll<HTMLElement>('th, td')].map((cell) => {
      const style = getComputedStyle(cell);
      const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const broken: Array<{ word: string; width: number }> = [];
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        // A word is what lies between spaces in one text node (an element boundary, a <wbr>, is a break the text allows);
        // Chinese and Japanese text may break after any character.
        for (const m of node.textContent!.matchAll(/[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]|[^\s\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]+/gu)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const rects = [...range.getClientRects()].filter((r) => r.width > 0);
          if (new Set(rects.map((r) => Math.round(r.top))).size > 1) broken.push({ word: m[0], width: rects.reduce((w, r) => w + r.width, 0) });
        }
      }
      return { text: cell.textContent!, broken, room, cut: cell.scrollWidth > cell.clientWidth, title: cell.getAttribute('title') };
    }),
  );

/** The diff's column edges and its width against the pane's. */
const frame = (page: Page) =>
  page.getByTestId('replay-diff').evaluate((table) => ({
    columns: [...table.querySelectorAll('thead th')].map((th) => Math.round(th.getBoundingClientRect().left) + ':' + Math.round(th.getBoundingClientRect().width)),
    width: table.getBoundingClientRect().width,
    pane: table.closest<HTMLElement>('.replay')!.clientWidth,
    overflow: table.closest<HTMLElement>('.replay')!.scrollWidth - table.closest<HTMLElement>('.replay')!.clientWidth,
  }));

test('the replay diff breaks a key or value only where a word is wider than its column, at 1280x800 and 1440x900', async ({ app, served }) => {
  const runId = await openFailedRunReplay(app, served.file);
  const step = app.getByTestId('replay-step');
  // The run's first steps (a run starting, node-runs new, started, done, their times) and its first failure (an error text).
  const firstFailure = cliJson(['query', served.file, '--run', runId, '--limit', '10000']).events.findIndex((e: { kind: string }) => /fail/i.test(e.kind)) + 1;
  const steps = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, firstFailure];
  for (const size of SIZES) {
    await app.setViewportSize(size);
    let columns: string[] | null = null;
    for (const n of steps) {
      await app.getByTestId('jump-input').fill(String(n));
      await app.getByTestId('jump-input').press('Enter');
      await expect(step).toContainText(`step ${n} /`);
      const expected = cliJson(['replay', served.file, runId, '--step', String(n)]);
      if (!expected.changed.run.length && !expected.changed.node_runs.length) continue;
      await expect(app.getByTestId('replay-diff')).toBeVisible();
      const where = `step ${n} at ${size.width}x${size.height}`;
      for (const c of await cells(app)) {
        for (const b of c.broken) {
          // Broken only where the word is wider than the cell's text, and never a status, a number or a field name.
          expect(b.width, `"${b.word}" in "${c.text}" is broken though it fits its ${c.room.toFixed(0)}px (${where})`).toBeGreaterThan(c.room + 0.5);
          expect(b.word.length, `"${b.word}" in "${c.text}" is broken (${where})`).toBeGreaterThan(13);
        }
        // A cell cut short shows the whole text in its tooltip.
        if (c.cut) expect(c.title, `"${c.text}" is cut without a tooltip (${where})`).toBe(c.text);
      }
      // The table is as wide as the pane and no wider, its columns where they were at the last step.
      const f = await frame(app);
      expect(f.overflow, `the pane scrolls sideways (${where})`).toBeLessThanOrEqual(0);
      expect(Math.abs(f.width - f.pane + 28), `the table fills the pane (${where})`).toBeLessThan(2);
      if (columns) expect(f.columns, `the columns moved (${where})`).toEqual(columns);
      columns = f.columns;
    }
  }
  await app.getByTestId('jump-input').fill(String(firstFailure));
  await app.getByTestId('jump-input').press('Enter');
  await expect(step).toContainText(`step ${firstFailure} /`);
  await shots(app, '21-replay-diff-failure');
  await app.getByTestId('jump-input').fill('2');
  await app.getByTestId('jump-input').press('Enter');
  await expect(step).toContainText('step 2 /');
  await shots(app, '21-replay-diff-new-node-run');
});
