// The event list's columns: what each shows, how wide it starts (fitted to the
// rows on screen), and the user's layout of them (order, hidden, widths), which
// is kept per ledger layout in the app's data folder.
import type { LedgerEvent } from '../../shared/ledger.ts';
import { nodeIdFromText } from '../../shared/projection.ts';
import { decodeEscapes } from './preview.ts';

export type ColumnKey = 'offset' | 'time' | 'run_id' | 'seq' | 'kind' | 'actor' | 'node' | 'payload';

export interface Column {
  key: ColumnKey;
  label: string;
  /** Fitting never goes below or above these. */
  min: number;
  max: number;
  /** Fitted to nine rows in ten: a rare long value (one run's long id) is cut with …, not given the payload's room. */
  fitsMost?: boolean;
  text(e: LedgerEvent): string;
}

/** Times as stored, to the millisecond, without the zone letter (every time shown is UTC). */
export const formatTime = (t: string | null) => (t ? t.replace('T', ' ').replace(/Z$|[+-]\d\d:\d\d$/, '') : '');

export const COLUMNS: readonly Column[] = [
  { key: 'offset', label: 'Offset', min: 56, max: 120, text: (e) => String(e.offset) },
  { key: 'time', label: 'Time', min: 90, max: 260, text: (e) => formatTime(e.time) },
  { key: 'run_id', label: 'Run', min: 60, max: 200, fitsMost: true, text: (e) => e.run_id },
  { key: 'seq', label: 'Seq', min: 40, max: 90, text: (e) => (e.seq === null ? '' : String(e.seq)) },
  { key: 'kind', label: 'Kind', min: 70, max: 200, fitsMost: true, text: (e) => e.kind },
  { key: 'actor', label: 'Actor', min: 56, max: 140, fitsMost: true, text: (e) => e.actor ?? '' },
  { key: 'node', label: 'Node', min: 56, max: 160, fitsMost: true, text: (e) => nodeIdFromText(e.payload, e.node_id) ?? '' },
  { key: 'payload', label: 'Payload', min: 160, max: 100_000, text: (e) => decodeEscapes(e.payload) },
];
export const COLUMN = Object.fromEntries(COLUMNS.map((c) => [c.key, c])) as Record<ColumnKey, Column>;

export interface ColumnLayout {
  order: ColumnKey[];
  /** Columns the user hid, or showed though empty (false). */
  hidden: Partial<Record<ColumnKey, boolean>>;
  /** Widths the user set by dragging; the rest are fitted. */
  widths: Partial<Record<ColumnKey, number>>;
}

/** Node starts hidden: the detail pane shows it, and at laptop widths the payload needs the room. */
export const DEFAULT_LAYOUT: ColumnLayout = { order: COLUMNS.map((c) => c.key), hidden: { node: true }, widths: {} };

/** A stored layout made safe: unknown keys dropped, columns it lacks (newer than it) added at the end. */
export function normaliseLayout(v: unknown): ColumnLayout {
  const l = (v && typeof v === 'object' ? v : {}) as Partial<ColumnLayout>;
  const known = new Set<string>(DEFAULT_LAYOUT.order);
  const order = (Array.isArray(l.order) ? l.order : []).filter((k): k is ColumnKey => known.has(k));
  for (const k of DEFAULT_LAYOUT.order) if (!order.includes(k)) order.push(k);
  const pick = <T,>(o: unknown, ok: (x: unknown) => x is T) =>
    Object.fromEntries(Object.entries(o && typeof o === 'object' ? o : {}).filter(([k, x]) => known.has(k) && ok(x))) as Partial<Record<ColumnKey, T>>;
  return {
    order: [...new Set(order)],
    hidden: { ...DEFAULT_LAYOUT.hidden, ...pick(l.hidden, (x): x is boolean => typeof x === 'boolean') },
    widths: pick(l.widths, (x): x is number => typeof x === 'number' && x >= 30 && x <= 4000),
  };
}

/** Moves a column one place left (-1) or right (+1). */
export function moveColumn(l: ColumnLayout, key: ColumnKey, dir: -1 | 1): ColumnLayout {
  const order = [...l.order];
  const i = order.indexOf(key);
  const j = i + dir;
  if (i < 0 || j < 0 || j >= order.length) return l;
  [order[i], order[j]] = [order[j]!, order[i]!];
  return { ...l, order };
}

/** Columns with no value in any of the sample rows (seq where a ledger has none). */
export function emptyColumns(sample: LedgerEvent[]): Set<ColumnKey> {
  const empty = new Set<ColumnKey>();
  if (!sample.length) return empty;
  for (const c of COLUMNS) if (c.key !== 'payload' && sample.every((e) => c.text(e) === '')) empty.add(c.key);
  return empty;
}

/** Column widths that fit the sample rows' text, measured with the given text measure. */
export function fitWidths(sample: LedgerEvent[], measure: (text: string) => number, padding = 17): Record<ColumnKey, number> {
  const out = {} as Record<ColumnKey, number>;
  for (const c of COLUMNS) {
    // The kind column also shows a colour dot.
    const extra = c.key === 'kind' ? 14 : 0;
    const widths = sample.map((e) => measure(c.text(e)) + padding + extra).sort((a, b) => a - b);
    const fit = widths.length ? widths[c.fitsMost ? Math.ceil(widths.length * 0.9) - 1 : widths.length - 1]! : 0;
    const w = Math.max(measure(c.label.toUpperCase()) + padding, fit);
    out[c.key] = Math.ceil(Math.min(c.max, Math.max(c.min, w)));
  }
  return out;
}
