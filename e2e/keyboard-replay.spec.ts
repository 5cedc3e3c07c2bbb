// Replay that explains its steps, keys that work from anywhere, the runs table by
// keyboard, and the right-click menu of rows and of the detail pane.
import path from 'node:path';
import Database from 'better-sqlite3';
import { cli, cliJson, DATA, expect, openFailedRunReplay, shots, test } from './serve.ts';


test('the runs table works by keyboard: sort buttons with aria-sort, arrows move, Enter opens, R replays', async ({ app }) => {
  const rows = app.locator('.runs tbody tr[data-run]');
  await expect(rows.first()).toBeVisible({ timeout: 90_000 });
  const runHeader = app.locator('table.runs th', { hasText: 'Run' });
  await expect(runHeader).toHaveAttribute('aria-sort', 'ascending');
  // Run ▲ is by run id (natural order), not the ledger's order of first events.
  const natural = new Intl.Collator('en', { numeric: true }).compare;
  const shownIds = async () => (await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')!)));
  const ids = await shownIds();
  expect(ids.length).toBeGreaterThan(5);
  expect(ids).toEqual([...ids].sort(natural));
  await app.getByRole('button', { name: /^Run/ }).click();
  await expect(runHeader).toHaveAttribute('aria-sort', 'descending');
  const down = await shownIds();
  expect(down).toEqual([...down].sort(natural).reverse());
  await app.getByRole('button', { name: /^Run/ }).click();
  await app.getByRole('button', { name: 'Events' }).click();
  await expect(app.locator('table.runs th', { hasText: 'Events' })).toHaveAttribute('aria-sort', 'ascending');
  await expect(runHeader).toHaveAttribute('aria-sort', 'none');
  const counts = (await app.locator('.runs tbody tr[data-run] td.num').allTextContents()).map((t) => Number(t.replace(/\D/g, '')));
  expect(counts).toEqual([...counts].sort((a, b) => a - b));
  await rows.first().focus();
  await app.keyboard.press('ArrowDown');
  await app.keyboard.press('ArrowDown');
  const third = await rows.nth(2).getAttribute('data-run');
  await expect(app.locator(`.runs tbody tr[data-run="${third}"]`)).toBeFocused();
  await app.keyboard.press('Enter');
  await expect(app.getByTestId('run-detail')).toContainText(third!);
  await app.locator(`.runs tbody tr[data-run="${third}"]`).focus();
  await app.keyboard.press('r');
  await expect(app.getByTestId('replay')).toContainText(third!);
  await expect(app.getByTestId('replay-step')).toContainText('step 0 /');
});

test('a replay step shows its event and old -> new for what it changed; J/K step from any tab; closing restores the filter', async ({ app, served }) => {
  // A filter of our own first: closing the replay must give it back.
  await app.getByTestId('kind-menu').locator('summary').click();
  await app.locator('[data-testid="kind-menu"] .facet[data-kind="node.failed"]').click();
  await app.keyboard.press('Escape');
  await expect(app.locator('.chip', { hasText: 'kind: node.failed' })).toBeVisible();
  const runId = await openFailedRunReplay(app, served.file);
  const step = app.getByTestId('replay-step');
  // Opened, the replay has the keyboard: the arrows step, space plays and pauses.
  await expect(app.getByTestId('play')).toBeFocused();
  await app.keyboard.press('ArrowRight');
  await expect(step).toContainText('step 1 /');
  await app.keyboard.press('ArrowLeft');
  await expect(step).toContainText('step 0 /');
  await app.keyboard.press(' ');
  await expect(app.getByTestId('play')).toHaveText('Pause');
  await app.keyboard.press(' ');
  await expect(app.getByTestId('play')).toHaveText('Play');
  await app.locator('[data-testid="replay"] button[title="First step (step 0: before the first event)"]').click();
  await app.getByTestId('step-forward').click();
  await app.getByTestId('step-forward').click();
  await expect(step).toContainText('step 2 /');
  const expected = cliJson(['replay', served.file, runId, '--step', '2']);
  const replay = app.getByTestId('replay');
  const ev = replay.getByTestId('replay-event');
  await expect(ev).toContainText(expected.event.kind);
  await expect(ev).toContainText(`offset ${expected.event.offset}`);
  // The payload as a tree: its keys are there.
  for (const key of Object.keys(JSON.parse(expected.event.payload))) await expect(ev.locator('.j-key', { hasText: key }).first()).toBeVisible();
  // Old -> new for each changed node-run field, as the engine computed them.
  const diff = replay.getByTestId('replay-diff');
  for (const id of expected.changed.node_runs as string[]) {
    const now = expected.state.node_runs.find((n: { node_run_id: string }) => n.node_run_id === id);
    const old = expected.before.node_runs.find((n: { node_run_id: string }) => n.node_run_id === id);
    const label = `${now.node_id} #${now.attempt}`;
    const group = diff.locator(`tbody[data-of="${label}"]`);
    if (!old) await expect(group.locator('tr', { hasText: '(new node-run)' })).toHaveCount(1);
    else if (old.status !== now.status) {
      const row = group.locator('tr', { has: app.locator('th', { hasText: /^status$/ }) });
      await expect(row.locator('.old')).toHaveText(old.status);
      await expect(row.locator('.new')).toHaveText(now.status);
    }
  }
  await shots(app, '20-replay-diff');
  // From the Event tab, J steps the replay; Alt+Left is still history, not a step.
  await app.getByRole('tab', { name: 'Event' }).click();
  await app.locator('body').click({ position: { x: 5, y: 5 } });
  await app.keyboard.press('j');
  await app.getByTestId('replay-tab').click();
  await expect(step).toContainText('step 3 /');
  await app.keyboard.press('k');
  await expect(step).toContainText('step 2 /');
  await app.getByRole('button', { name: 'Close' }).click();
  // The keyboard goes back where it was: the button that opened the replay.
  await expect(app.getByTestId('replay-button')).toBeFocused();
  await expect(app.locator('.chip', { hasText: 'kind: node.failed' })).toBeVisible();
  await expect(app.locator('.chip', { hasText: 'run:' })).toHaveCount(0);
  await expect(app.locator('.row[data-position="0"] .c-kind')).toHaveText('node.failed');
});

test('right-click on a row: copy the event as stored, filter to its kind or without it; Escape and outside clicks close the menu', async ({ app, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const row = app.locator('.row[data-position="4"]');
  await expect(row).toHaveAttribute('data-offset', '5');
  const kind = (await row.locator('.c-kind').textContent())!;
  await row.locator('.c-time').click({ button: 'right' });
  const menu = app.getByTestId('context-menu');
  await expect(menu).toBeVisible();
  await expect(menu.getByRole('menuitem').first()).toBeFocused();
  await shots(app, '21-row-menu');
  await app.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(app.getByTestId('event-list')).toBeFocused();
  // Outside click closes it too.
  await row.click({ button: 'right' });
  await expect(menu).toBeVisible();
  await app.getByTestId('filter-bar').click({ position: { x: 600, y: 10 } });
  await expect(menu).toHaveCount(0);
  // Copy the time cell's value, then the event as JSON: its payload is the stored text.
  await row.locator('.c-time').click({ button: 'right' });
  await menu.getByRole('menuitem', { name: 'Copy time' }).click();
  expect(await app.evaluate(() => navigator.clipboard.readText())).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
  await row.click({ button: 'right' });
  await app.keyboard.press('ArrowDown');
  await app.keyboard.press('ArrowDown');
  await expect(menu.getByRole('menuitem', { name: 'Copy event as JSON' })).toBeFocused();
  await app.keyboard.press('Enter');
  await expect.poll(() => app.evaluate(() => navigator.clipboard.readText())).toContain('"offset": 5');
  const copied = await app.evaluate(() => navigator.clipboard.readText());
  expect(JSON.parse(copied)).toMatchObject({ offset: 5, kind });
  // Exclude this kind: the chip and the rows follow.
  await row.click({ button: 'right' });
  await menu.getByRole('menuitem', { name: `Exclude kind ${kind}` }).click();
  await expect(app.locator('.chip', { hasText: `not ${kind}` })).toBeVisible();
  await expect.poll(async () => (await app.locator('.row .c-kind').allTextContents()).filter((k) => k === kind).length).toBe(0);
  // Only this kind, from the detail pane's menu.
  await app.getByTestId('detail').locator('table.fields tr', { hasText: 'actor' }).click({ button: 'right' });
  await expect(menu.getByRole('menuitem', { name: 'Copy actor' })).toBeVisible();
  await app.keyboard.press('Escape');
});

test('the detail pane shows numbers exactly as stored and Copy copies the stored payload text', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const { startServe } = await import('./serve.ts');
  const file = path.join(DATA, `numbers-${Date.now()}.db`);
  cli(['generate', file, '--events', '50', '--seed', '5']);
  // The stored text, written as another tool would: numbers a JSON round trip would change.
  const payload = '{"price":1.10,"big":12345678901234567890,"exp":1e3,"name":"\\u4e8b\\u4ef6"}';
  const db = new Database(file);
  db.prepare('UPDATE events SET payload = ?, run_id = ? WHERE "offset" = (SELECT max("offset") FROM events)').run(payload, 'run-num');
  db.close();
  const s = await startServe(file);
  try {
    await page.goto(s.url);
    const list = page.getByTestId('event-list');
    await list.focus();
    await page.keyboard.press('End');
    const detail = page.getByTestId('detail');
    await expect(detail).toContainText('run-num');
    const tree = detail.getByTestId('payload');
    await expect(tree.locator('li:not(:has(ul))', { hasText: 'price' }).locator('.j-number')).toHaveText('1.10');
    await expect(tree.locator('li:not(:has(ul))', { hasText: 'big' }).locator('.j-number')).toHaveText('12345678901234567890');
    await expect(tree.locator('li:not(:has(ul))', { hasText: 'exp' }).locator('.j-number')).toHaveText('1e3');
    await expect(tree.locator('li:not(:has(ul))', { hasText: 'name' }).locator('.j-string')).toHaveText('"事件"');
    // The list's preview shows the text, not the escapes.
    await expect(page.locator('.row.selected .c-payload')).toContainText('事件');
    await page.getByTestId('copy-event').click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain(`"payload": ${payload}`);
    await shots(page, '22-detail-numbers');
  } finally {
    s.stop();
  }
});
