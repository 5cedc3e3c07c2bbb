// Bookmarks and named views: made with a key and a click, listed, stepped through,
// kept per ledger in the app's data folder (the ledger file is never touched), and
// bookmarks written beside a JSONL export.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { APP_DATA, DATA, expect, shots, test } from './serve.ts';

const digest = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

test('bookmarks: B and a click mark events, the menu lists them, ] and [ step through them, a reload keeps them', async ({ app, served }) => {
  const before = digest(served.file);
  const list = app.getByTestId('event-list');
  await app.locator('.row[data-position="3"]').click();
  await list.focus();
  await app.keyboard.press('b');
  await expect(app.locator('.row[data-position="3"] .bookmark-mark')).toBeVisible();
  await app.locator('.row[data-position="20"]').click();
  await app.getByTestId('bookmark-toggle').click();
  await expect(app.getByTestId('bookmark-toggle')).toHaveAttribute('aria-pressed', 'true');
  await app.getByTestId('bookmarks-menu').locator('summary').click();
  await expect(app.locator('[data-bookmark]')).toHaveText(['offset 4', 'offset 21']);
  await shots(app, '50-bookmarks');
  await app.keyboard.press('Escape');
  await list.focus();
  await app.keyboard.press('Home');
  await app.keyboard.press(']');
  await expect(app.locator('.row.selected')).toHaveAttribute('data-offset', '4');
  await app.keyboard.press(']');
  await expect(app.locator('.row.selected')).toHaveAttribute('data-offset', '21');
  await app.keyboard.press('[');
  await expect(app.locator('.row.selected')).toHaveAttribute('data-offset', '4');
  await app.reload();
  await expect(app.locator('.row[data-position="3"] .bookmark-mark')).toBeVisible();
  await expect(app.getByTestId('bookmarks-menu').locator('summary')).toHaveAccessibleName('Bookmarks (2)');
  // Kept in the app's data folder, not in (or beside) the ledger.
  expect(fs.readdirSync(path.join(APP_DATA, 'prefs')).length).toBeGreaterThan(0);
  expect(digest(served.file)).toBe(before);
  expect(fs.readdirSync(path.dirname(served.file)).filter((f) => f.startsWith(path.basename(served.file)) && f !== path.basename(served.file) && !/-(wal|shm)$/.test(f))).toEqual([]);
  // A JSONL export of a small filter writes them beside the folder.
  await app.getByTestId('runs-panel').waitFor();
  await app.locator('.row[data-position="3"]').click({ button: 'right' });
  await app.getByTestId('context-menu').getByRole('menuitem', { name: /^Only run / }).click();
  await expect(app.locator('.chip', { hasText: 'run:' })).toBeVisible();
  const dest = path.join(DATA, `marks-export-${Date.now()}`);
  await app.getByTestId('export-open').click();
  await app.getByTestId('export-dialog').getByText('JSONL store').click();
  await app.getByTestId('scope-filter').check();
  await app.getByTestId('export-dest').fill(dest);
  await app.getByTestId('export-go').click();
  await expect(app.getByTestId('export-dialog')).toHaveCount(0, { timeout: 60_000 });
  const side = JSON.parse(fs.readFileSync(`${dest}.bookmarks.json`, 'utf8'));
  expect(side.ledger).toBe(served.file);
  expect(side.bookmarks.map((b: { offset: number }) => b.offset)).toEqual([4, 21]);
  expect(side.bookmarks[0]).toMatchObject({ offset: 4, id: expect.any(String), run_id: expect.any(String), kind: expect.any(String) });
});

test('named views are saved per ledger and applied again, after a reload too', async ({ app }) => {
  await app.getByTestId('kind-menu').locator('summary').click();
  await app.locator('[data-testid="kind-menu"] .facet[data-kind="node.failed"]').click();
  await app.keyboard.press('Escape');
  await expect(app.locator('.chip', { hasText: 'kind: node.failed' })).toBeVisible();
  await app.locator('.row[data-position="5"]').click();
  const offset = await app.locator('.row.selected').getAttribute('data-offset');
  await app.getByTestId('views-menu').locator('summary').click();
  await app.getByTestId('view-name').fill('failures');
  await app.getByTestId('view-name').press('Enter');
  await expect(app.locator('[data-view="failures"]')).toBeVisible();
  await app.keyboard.press('Escape');
  await app.getByRole('button', { name: 'Clear' }).click();
  await expect(app.locator('.chip')).toHaveCount(0);
  await app.reload();
  await expect(app.getByTestId('views-menu').locator('summary')).toHaveAccessibleName('Views (1)');
  await app.getByTestId('views-menu').locator('summary').click();
  await app.locator('[data-view="failures"]').click();
  await expect(app.locator('.chip', { hasText: 'kind: node.failed' })).toBeVisible();
  await expect(app.locator('.row.selected')).toHaveAttribute('data-offset', offset!);
});
