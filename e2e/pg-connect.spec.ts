// Connecting to a real PostgreSQL server in the app (Chromium against serve mode):
// served straight from a postgres:// URL, and through the Connect dialog's URL field
// and table chooser. The password never reaches the page's view of the ledger. A big
// table's facets show the planner's estimates (≈) until the exact counts arrive.
import { test } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalFromSqlite, generatedCanonical } from '../test/helpers/pg-fixtures.ts';
import { PG_PASSWORD, startPgServer, type PgServer } from '../test/helpers/pg-server.ts';
import { expect, ledgerOf, shot, startServe } from './serve.ts';

let server: PgServer;
let dir: string;

test.beforeAll(async () => {
  server = await startPgServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-e2e-pg-'));
  server.createDb('team');
  canonicalFromSqlite(server, 'team', ledgerOf(5_000, 4));
  server.psql('CREATE TABLE users (id serial PRIMARY KEY, name text)', 'team');
  // Past the 200,000 rows from which the planner's statistics answer first.
  server.createDb('big');
  generatedCanonical(server, 'big', 210_000);
});

test.afterAll(() => {
  server?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('serve opens a postgres:// URL and shows its rows, never its password', async ({ page }) => {
  const s = await startServe(`${server.url('team')}?table=events`, { LEDGER_INSPECTOR_DATA: path.join(dir, 'data-1') });
  try {
    await page.goto(s.url);
    await expect(page.getByTestId('ledger-meta')).toContainText('5,000 events');
    await expect(page.getByTestId('path-input')).toHaveValue(`postgres://postgres@127.0.0.1:${server.port}/team?table=events`);
    await expect(page.locator('[data-testid="event-list"] .row').first()).toBeVisible();
    expect(await page.content()).not.toContain(PG_PASSWORD);
    expect(decodeURIComponent(page.url())).not.toContain(PG_PASSWORD);
  } finally {
    s.stop();
  }
});

test('File > Connect: a URL, the table chooser, and the rows', async ({ page }) => {
  const s = await startServe(ledgerOf(1_000, 5), { LEDGER_INSPECTOR_DATA: path.join(dir, 'data-2') });
  try {
    await page.goto(s.url);
    await expect(page.getByTestId('ledger-meta')).toContainText('1,000 events');
    await page.getByTestId('connect-open').click();
    const dialog = page.getByTestId('connect-dialog');
    // A wrong password: one line naming the server, nothing else.
    await dialog.getByTestId('connect-url').fill(server.url('team', { password: 'wrong-one' }));
    await dialog.getByTestId('connect-list').click();
    // The password typed apart, in its masked field, the URL without one.
    await expect(dialog.getByTestId('connect-error')).toHaveText(new RegExp(`^the server refused user "postgres": .* \\(127\\.0\\.0\\.1:${server.port}/team\\)$`));
    await dialog.getByTestId('connect-url').fill(server.url('team', { password: null }));
    await dialog.getByTestId('connect-password').fill(PG_PASSWORD);
    await dialog.getByTestId('connect-list').click();
    const tables = dialog.getByTestId('connect-tables');
    await expect(tables).toContainText('events');
    await expect(tables).toContainText('the event log');
    await expect(tables).toContainText('users');
    await expect(tables.getByRole('radio', { name: /events/ })).toBeChecked();
    await shot(page, 'pg-connect-dialog');
    await dialog.getByTestId('connect-go').click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('ledger-meta')).toContainText('5,000 events');
    await expect(page.getByTestId('path-input')).toHaveValue(`postgres://postgres@127.0.0.1:${server.port}/team?table=events`);
    await expect(page.locator('[data-testid="event-list"] .row').first()).toBeVisible();
    expect(decodeURIComponent(page.url())).not.toContain(PG_PASSWORD);
  } finally {
    s.stop();
  }
});

test("a big table's facets show the planner's estimates, then the exact counts", async ({ page }) => {
  // The exact counts are held back at the socket until the estimates were seen, so neither state is missed.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const app = ws.connectToServer();
    ws.onMessage(async (m) => {
      if (String(m).includes('"exact":true')) await held;
      app.send(m);
    });
  });
  const s = await startServe(`${server.url('big')}?table=events`, { LEDGER_INSPECTOR_DATA: path.join(dir, 'data-3') });
  try {
    await page.goto(s.url);
    await expect(page.getByTestId('ledger-meta')).toContainText('210,000 events');
    const menu = page.getByTestId('kind-menu');
    await menu.locator('summary').click();
    const log = menu.locator('[data-kind="log"] .facet-count');
    // The estimates come after the runs, which the background lane folds first (4-5 s for 210,000 rows here).
    await expect(log).toHaveText(/^≈[\d,]+$/, { timeout: 60_000 });
    await expect(log).toHaveAttribute('title', /the database planner's estimate/);
    await shot(page, 'pg-facet-estimates');
    const exact = Number(server.psql(`SELECT count(*) FROM events WHERE kind = 'log'`, 'big').trim());
    release();
    await expect(log).toHaveText(exact.toLocaleString('en-US'));
    await expect(log).not.toHaveAttribute('title', /.*/);
    await expect(menu.getByTestId('facet-estimate')).toHaveCount(0);
  } finally {
    s.stop();
  }
});
