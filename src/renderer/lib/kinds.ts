// One colour per kind, the same everywhere: failures in a red family, successes in
// a green family, retries and cancels amber, every other kind a stable hue from
// its name, kept out of the red, amber and green bands so it never reads as one.
import { readKind } from '../../shared/projection.ts';

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}

export type KindFamily = 'failed' | 'success' | 'warn' | 'other';

export function kindFamily(kind: string): KindFamily {
  const t = readKind(kind).transition;
  if (t === 'failed') return 'failed';
  if (t === 'completed') return 'success';
  if (t === 'retrying' || t === 'cancelled') return 'warn';
  return 'other';
}

/** The kind's hue: 345-15 for failures, 115-150 for successes, 35-50 amber, else 175-325. */
export function kindHue(kind: string): number {
  const h = hash(kind);
  switch (kindFamily(kind)) {
    case 'failed':
      return (345 + (h % 30)) % 360;
    case 'success':
      return 115 + (h % 35);
    case 'warn':
      return 35 + (h % 15);
    default:
      return 175 + (h % 150);
  }
}

export const kindColor = (kind: string) => `hsl(${kindHue(kind)} 65% 48%)`;

/** The row class of a kind: failed rows are tinted, retries and cancels marked. */
export function statusClass(kind: string): string {
  const f = kindFamily(kind);
  return f === 'failed' ? 'failed' : f === 'warn' ? 'warn' : '';
}
