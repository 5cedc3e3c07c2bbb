// Screen-reader and keyboard basics: an axe-core scan of each main state, in light
// and dark, finds no serious or critical violation; the list is an ARIA grid over
// the whole virtual list; a live region carries counts and notices.
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { DATA, expect, shots, test } from './serve.ts';

/** Every serious or critical violation seen, reported together at the end. */
const problems: string[] = [];

async function scan(page: Page, state: string) {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const result = await new AxeBuilder({ page }).analyze();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const report = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`).join('\n');
    if (bad.length) problems.push(`${state} in ${scheme}:\n${report}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('the list is an ARIA grid over the whole ledger, with the header row inside it', async ({ app }) => {
  const grid = app.getByRole('grid', { name: 'Events' });
  await expect(grid).toHaveAttribute('aria-rowcount', '1000001');
  await expect(grid.getByRole('row').first()).toHaveAttribute('aria-rowindex', '1');
  await expect(grid.getByRole('columnheader', { name: 'Kind' })).toBeVisible();
  const row = app.locator('.row[data-position="9"]');
  await expect(row).toHaveAttribute('aria-rowindex', '11');
  await expect(row.getByRole('gridcell').first()).toHaveText('10');
  await grid.focus();
  await app.keyboard.press('ArrowDown');
  await expect(grid).toHaveAttribute('aria-activedescendant', 'event-row-1');
  await expect(app.locator('#event-row-1')).toHaveAttribute('aria-selected', 'true');
  // Inputs have distinct accessible names.
  const names = await app.locator('input, select').evaluateAll((els) =>
    els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => e.getAttribute('aria-label') ?? (e as HTMLInputElement).labels?.[0]?.textContent ?? e.getAttribute('placeholder')),
  );
  expect(names.every(Boolean)).toBe(true);
  expect(new Set(names).size).toBe(names.length);
});

test('axe finds no serious or critical violation in the list, a filter, a run, a replay, the export dialog and an error', async ({ app }) => {
  // Twelve full-page scans of a large DOM on a shared machine.
  test.setTimeout(600_000);
  await expect(app.locator('.row[data-position="0"]')).toHaveAttribute('data-offset', '1');
  await scan(app, 'list');
  await app.getByTestId('kind-menu').locator('summary').click();
  await app.locator('[data-testid="kind-menu"] .facet[data-kind="node.failed"]').click();
  await app.keyboard.press('Escape');
  await expect(app.locator('.row[data-position="0"] .c-kind')).toHaveText('node.failed');
  await scan(app, 'filtered');
  await shots(app, '30-filtered');
  await app.getByTestId('run-status-filter').selectOption('failed');
  await app.locator('.runs tbody tr.failed').first().click({ timeout: 90_000 });
  await expect(app.getByTestId('run-detail')).toBeVisible();
  await scan(app, 'run detail');
  await shots(app, '31-run-detail');
  await app.getByTestId('replay-button').click();
  await app.getByTestId('step-forward').click();
  await expect(app.getByTestId('replay-step')).toContainText('step 1 /');
  await scan(app, 'replay');
  await app.getByTestId('export-open').click();
  await expect(app.getByTestId('export-dialog')).toBeVisible();
  await scan(app, 'export dialog');
  await shots(app, '32-export-dialog');
  await app.keyboard.press('Escape');
  await expect(app.getByTestId('export-dialog')).toHaveCount(0);
  fs.mkdirSync(DATA, { recursive: true });
  const bad = path.join(DATA, 'not-a-ledger.txt');
  fs.writeFileSync(bad, 'notes\n'.repeat(50));
  await app.getByTestId('path-input').fill(bad);
  await app.getByTestId('path-input').press('Enter');
  await expect(app.getByTestId('error')).toBeVisible();
  await scan(app, 'error');
  await shots(app, '33-open-error');
  expect(problems.join('\n')).toBe('');
});
