// The filter bar's JSON-path condition: one the engine's rules refuse is shown as not
// applied, with the rule's own message at the field; the list stays on the last valid filters.
import { expect, shots, test } from './serve.ts';

test('a refused JSON path is not applied: marked at the field with why, text kept, list on the last valid filter', async ({ app }) => {
  const field = app.getByTestId('where-filter');
  const error = app.getByTestId('where-error');
  const count = app.getByTestId('match-count');
  // A valid condition applies.
  await field.fill('$.attempt=2');
  await field.press('Enter');
  await expect(app.locator('.chips')).toContainText('$.attempt = 2');
  // Its first rows are here (a scan of the 1M events): the count is the filter's.
  await expect(app.getByTestId('status')).not.toContainText('updating', { timeout: 60_000 });
  await expect(count).toContainText('matching');
  await expect(count).not.toHaveText('1,000,000 matching');
  const valid = await count.textContent();
  const hash = new URL(app.url()).hash;
  for (const bad of ['$..x=1', '$.a b=1', 'payload.x=1']) {
    await field.fill(bad);
    await field.press('Enter');
    await expect(error).toContainText('not applied: a JSON path is $ followed by .key, ."key" or [index] steps');
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(field).toHaveAttribute('aria-describedby', 'where-error');
    await expect(field).toHaveAccessibleDescription(/not applied: a JSON path is \$/);
    await expect(field).toHaveValue(bad);
    // Still the last valid filter: its chip, its count, its URL; no chip of the refused one.
    await expect(app.locator('.chips')).toHaveText(/^\$\.attempt = 2×$/);
    await expect(count).toHaveText(valid!);
    expect(new URL(app.url()).hash).toBe(hash);
    await expect(app.getByTestId('notice')).not.toContainText('json_path');
  }
  await shots(app, '40-where-refused');
  // Corrected as typed, the mark goes; Enter applies it.
  await field.fill('$.attempt=1');
  await expect(error).toHaveCount(0);
  await expect(field).toHaveAttribute('aria-invalid', 'false');
  await field.press('Enter');
  await expect(app.locator('.chips')).toContainText('$.attempt = 1');
});
