// Scaled scrolling: a list taller than a browser lets an element be (about 33.5M px
// in Chromium, 17.5M in Firefox) keeps a shorter physical scroll space. The scroll
// thumb maps proportionally onto the whole list; wheel and keys move it by exact
// pixels of the virtual list, so small steps still move row by row.

/** Far below every browser's cap, so zoom and odd displays stay safe. */
export const MAX_PHYSICAL_PX = 8_000_000;

export interface ScrollSpace {
  virtual: number;
  physical: number;
  /** Virtual pixels per physical pixel of scroll position. */
  ratio: number;
}

export function scrollSpace(virtualHeight: number, viewport: number, max = MAX_PHYSICAL_PX): ScrollSpace {
  const physical = Math.min(virtualHeight, max);
  const ratio = physical > viewport && virtualHeight > physical ? (virtualHeight - viewport) / (physical - viewport) : 1;
  return { virtual: virtualHeight, physical, ratio };
}

export const toPhysical = (s: ScrollSpace, virtualOffset: number) => virtualOffset / s.ratio;
export const toVirtual = (s: ScrollSpace, physicalOffset: number) => physicalOffset * s.ratio;
export const clampOffset = (s: ScrollSpace, viewport: number, v: number) => Math.max(0, Math.min(Math.max(0, s.virtual - viewport), v));
