// One colour per kind, the same everywhere: failures in a red family, successes in
// a green family, retries and cancels amber, every other kind a stable hue from
// its name, kept out of the red, amber and green bands so it never reads as one.
// Which family a kind is in is read the way the engine folds it: by the open
// ledger's own rules where it has them (useLedgerRules), else the word tables.
import { DEFAULT_RULES, type Rules } from '../../shared/projection.ts';

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}

export type KindFamily = 'failed' | 'success' | 'warn' | 'other';

export function kindFamily(kind: string, rules: Rules = DEFAULT_RULES): KindFamily {
  const t = rules.read(kind).transition;
  if (t === 'failed') return 'failed';
  if (t === 'completed') return 'success';
  if (t === 'retrying' || t === 'cancelled') return 'warn';
  return 'other';
}

/** The kind's hue: 345-15 for failures, 115-150 for successes, 35-50 amber, else 175-325. */
export function kindHue(kind: string, rules: Rules = DEFAULT_RULES): number {
  const h = hash(kind);
  switch (kindFamily(kind, rules)) {
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

export const kindColor = (kind: string, rules: Rules = DEFAULT_RULES) => `hsl(${kindHue(kind, rules)} 65% 48%)`;

/** The row class of a kind: failed rows are tinted, retries and cancels marked. */
export function statusClass(kind: string, rules: Rules = DEFAULT_RULES): string {
  const f = kindFamily(kind, rules);
  return f === 'failed' ? 'failed' : f === 'warn' ? 'warn' : '';
}
