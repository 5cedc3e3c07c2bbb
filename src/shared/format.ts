// How sizes, durations and table cells read, the same in the CLI and the window.
import prettyBytes from 'pretty-bytes';
import prettyMilliseconds from 'pretty-ms';
import stringWidth from 'string-width';

/** A size in binary units: 1023 B, 1.5 KiB, 5 GiB. */
export function formatBytes(n: number): string {
  return prettyBytes(n, { binary: true, maximumFractionDigits: 1 });
}

/** A duration in milliseconds: 250ms, 1.5s, 2m 0s, 5h 0m. */
export function formatMs(ms: number): string {
  if (ms < 1000) return prettyMilliseconds(ms, { millisecondsDecimalDigits: 0 });
  return prettyMilliseconds(ms, ms < 60_000 ? { secondsDecimalDigits: 1 } : { secondsDecimalDigits: 0, unitCount: 2 });
}

/** The time between two ISO times, or '' when either is missing. */
export function formatDuration(from: string | null, to: string | null): string {
  if (!from || !to) return '';
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? formatMs(ms) : '';
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** `text` cut to at most `width` terminal columns (wide characters count two), never inside a character; '…' marks a cut. */
export function fitWidth(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

/** `text` cut to `width` columns and padded to exactly that many (on the left with `right`). */
export function cell(text: string, width: number, right = false): string {
  const fitted = fitWidth(text, width);
  const pad = ' '.repeat(Math.max(0, width - stringWidth(fitted)));
  return right ? pad + fitted : fitted + pad;
}
