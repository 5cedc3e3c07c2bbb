// Text cut to a pixel width with an ellipsis, measured in the font it is drawn in:
// SVG text has no text-overflow, and character counts misjudge wide characters.

let ctx: CanvasRenderingContext2D | null = null;
const segments = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The width of `text` in CSS pixels in `font` (a CSS font shorthand). */
export function textWidth(text: string, font: string): number {
  ctx ??= document.createElement('canvas').getContext('2d');
  if (!ctx) return text.length * 7;
  ctx.font = font;
  return ctx.measureText(text).width;
}

/** `text` whole when it fits in `width` pixels, else its longest start that fits with '…', never cut inside a character. */
export function fitText(text: string, width: number, font: string): string {
  if (textWidth(text, font) <= width) return text;
  const parts = [...segments.segment(text)].map((s) => s.segment);
  let lo = 0;
  let hi = parts.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(`${parts.slice(0, mid).join('')}…`, font) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${parts.slice(0, lo).join('')}…`;
}
