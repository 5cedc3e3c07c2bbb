// Sizes, durations and table cells as the CLI and the window print them.
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { cell, fitWidth, formatBytes, formatDuration, formatMs } from '../src/shared/format.ts';

describe('format', () => {
  it('sizes in binary units at every scale', () => {
    expect([0, 1023, 1536, 5 * 2 ** 30, 3 * 2 ** 40].map(formatBytes)).toEqual(['0 B', '1023 B', '1.5 KiB', '5 GiB', '3 TiB']);
  });

  it('durations at every scale, never "1 m 60 s"', () => {
    expect([0, 250, 1500, 59_000, 60_000, 119_999, 300 * 60_000, 26 * 3_600_000].map(formatMs)).toEqual(['0ms', '250ms', '1.5s', '59s', '1m', '1m 59s', '5h', '1d 2h']);
    expect(formatDuration('2026-01-01T00:00:00Z', '2026-01-01T00:02:00.000Z')).toBe('2m');
    expect(formatDuration(null, '2026-01-01T00:00:00Z')).toBe('');
  });

  it('cuts cells by display width, never inside a character', () => {
    const family = '👨‍👩‍👧';
    const text = `ab${family}cd中文👍🏽`;
    for (let w = 1; w <= stringWidth(text); w++) {
      const c = cell(text, w);
      expect(stringWidth(c)).toBe(w);
      // Every grapheme kept is whole: the cut text is a prefix of the original, by graphemes.
      const kept = fitWidth(text, w).replace(/…$/, '');
      expect(text.startsWith(kept)).toBe(true);
      expect(kept.endsWith('\u200d')).toBe(false);
      expect(/[\ud800-\udbff]$/.test(kept)).toBe(false);
    }
    expect(fitWidth('中文字符串', 5)).toBe('中文…');
    expect(cell('42', 5, true)).toBe('   42');
  });
});
