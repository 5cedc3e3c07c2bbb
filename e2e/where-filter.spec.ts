// The filter bar's JSON-path condition and time range: one the engine would refuse is shown
// as not applied, with why at the field; the list stays on the last valid filters.
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

test('a time range that is no time is not applied: marked at its field with why, text kept, list on the last valid range', async ({ app }) => {
  const from = app.getByTestId('time-from');
  const to = app.getByTestId('time-to');
  const error = app.getByTestId('time-error');
  const chips = app.locator('.chips');
  await from.fill('2026-01-05 12:00');
  await to.fill('2026-01-05 18:00');
  await to.press('Enter');
  const applied = 'time: 2026-01-05T12:00:00.000Z → 2026-01-05T18:00:00.000Z';
  await expect(chips).toContainText(applied);
  await expect(app.getByTestId('status')).not.toContainText('updating', { timeout: 60_000 });
  const valid = await app.getByTestId('match-count').textContent();
  // The filters the URL holds (the rest of the view, such as the row in view, may still settle).
  const filters = () => (JSON.parse(decodeURIComponent(new URL(app.url()).hash.slice(1))) as { q: unknown }).q;
  const kept = filters();
  await from.fill('yesterday-ish');
  await from.press('Enter');
  await expect(error).toHaveText('From time not applied: "yesterday-ish" is not a time: a time looks like 2026-01-05 08:00:00 (UTC) or an ISO-8601 time');
  await expect(from).toHaveAttribute('aria-invalid', 'true');
  await expect(from).toHaveAttribute('aria-describedby', 'time-error');
  await expect(from).toHaveAccessibleDescription(/From time not applied/);
  await expect(to).toHaveAttribute('aria-invalid', 'false');
  await expect(from).toHaveValue('yesterday-ish');
  // Said at the bar, under its fields, not in the status line.
  const bar = (await app.getByTestId('filter-bar').boundingBox())!;
  const box = (await error.boundingBox())!;
  const field = (await from.boundingBox())!;
  expect(box.y).toBeGreaterThanOrEqual(field.y + field.height);
  expect(box.y + box.height).toBeLessThanOrEqual(bar.y + bar.height);
  await expect(app.getByTestId('notice')).toHaveText('');
  // Still the last valid range: its chip, its count, its URL.
  await expect(chips).toHaveText(`${applied}×`);
  await expect(app.getByTestId('match-count')).toHaveText(valid!);
  expect(filters()).toEqual(kept);
  // Both ends wrong: both marked, each named.
  await to.fill('soon');
  await to.press('Enter');
  await expect(to).toHaveAttribute('aria-invalid', 'true');
  await expect(error).toContainText('To time not applied: "soon" is not a time');
  await expect(error).toContainText('From time not applied');
  await expect(chips).toHaveText(`${applied}×`);
  await shots(app, '41-time-refused');
  // Corrected as typed, the marks go; Enter applies the new range.
  await from.fill('2026-01-05 13:00');
  await to.fill('2026-01-05T17:00:00Z');
  await expect(error).toHaveCount(0);
  await expect(from).toHaveAttribute('aria-invalid', 'false');
  await to.press('Enter');
  await expect(chips).toContainText('time: 2026-01-05T13:00:00.000Z → 2026-01-05T17:00:00.000Z');
});
