// Big filters stay truthful on the 1M ledger: no "0 matching" flash while a new
// filter counts, End reaches the real last match while the total is an estimate,
// and a Gantt attempt jumps to its first event.
import { cliJson, expect, test } from './serve.ts';


test('a new filter keeps the old rows and counts until its own arrive, and End reaches its last match at once', async ({ app, served }) => {
  // Every text the match count and the status show, from now on.
  await app.evaluate(() => {
    const seen: string[] = ((window as unknown as { seen: string[] }).seen = []);
    const watch = (id: string) => {
      const el = document.querySelector(`[data-testid="${id}"]`)!;
      new MutationObserver(() => seen.push(`${id}:${el.textContent}`)).observe(el, { childList: true, subtree: true, characterData: true });
    };
    watch('match-count');
    watch('status');
  });
  await app.getByTestId('kind-menu').locator('summary').click();
  await app.locator('[data-testid="kind-menu"] .facet[data-kind="node.failed"]').click();
  await app.keyboard.press('Escape');
  await expect(app.locator('.row[data-position="0"] .c-kind')).toHaveText('node.failed');
  const seen = await app.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seen.filter((t) => /(^|[^\d,])0 matching|\/ ≈?0$/.test(t))).toEqual([]);
  // End, once: the last node.failed event of the ledger, as the CLI finds it.
  const last = cliJson(['query', served.file, '--kind', 'node.failed', '--last', '--limit', '1']).events.at(-1).offset as number;
  await app.getByTestId('event-list').focus();
  await app.keyboard.press('End');
  await expect(app.locator('.row.selected')).toHaveAttribute('data-offset', String(last), { timeout: 60_000 });
  await expect(app.getByTestId('detail')).toContainText(`offset ${last}`);
});

test('clicking an attempt in the Gantt goes to its first event', async ({ app, served }) => {
  const runId = cliJson(['runs', served.file, '--status', 'failed'])[0].run_id as string;
  await app.getByTestId('run-status-filter').selectOption('failed');
  await app.locator(`.runs tbody tr[data-run="${runId}"]`).click({ timeout: 90_000 });
  const detail = cliJson(['run', served.file, runId]);
  const attempt = detail.node_runs[1];
  await expect(app.getByTestId('gantt')).toHaveAttribute('aria-label', /node attempts/);
  await app.locator(`[data-testid="run-detail"] rect[data-node-run="${attempt.node_run_id}"]`).click();
  await app.getByRole('tab', { name: 'Event' }).click();
  await expect(app.getByTestId('detail')).toContainText(`offset ${attempt.first_offset}`);
});
