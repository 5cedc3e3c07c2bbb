// Window bounds from an earlier session, kept only where a display still shows them
// (a monitor may have been unplugged since).

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type SavedBounds = { x?: number; y?: number; width: number; height: number };

/** How much of the window's title strip must be on a display for it to be reachable. */
const GRIP = { width: 80, height: 24 };

export function restoredBounds(saved: SavedBounds | undefined, workAreas: Rect[], fallback: SavedBounds): SavedBounds {
  if (!saved || !workAreas.length) return fallback;
  const primary = workAreas[0]!;
  const size = { width: Math.min(saved.width, primary.width), height: Math.min(saved.height, primary.height) };
  if (saved.x === undefined || saved.y === undefined) return size;
  const { x, y } = saved;
  const reachable = workAreas.some((a) => {
    const w = Math.min(x + saved.width, a.x + a.width) - Math.max(x, a.x);
    const h = Math.min(y + GRIP.height, a.y + a.height) - Math.max(y, a.y);
    return w >= GRIP.width && h >= GRIP.height;
  });
  // Unreachable: the saved size, centred by Electron on the primary display.
  return reachable ? { x, y, width: saved.width, height: saved.height } : size;
}
