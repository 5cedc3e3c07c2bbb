// What right-clicking an event offers (a row of the list, or the detail pane):
// copy a value or the whole event as JSON with its payload exactly as stored, and
// filters to or without its kind, run or actor.
import type { LedgerEvent, Query } from '../../shared/ledger.ts';
import type { MenuItem, MenuSpec } from '../components/ContextMenu.tsx';
import { copyText } from './shell.ts';
import type { AppStore } from './store.ts';

/** The event as JSON, its payload spliced in as the stored text (never re-serialised). */
export function eventJson(e: LedgerEvent): string {
  const { payload, truncated: _t, ...fields } = e;
  let stored: string;
  try {
    JSON.parse(payload);
    stored = payload;
  } catch {
    stored = JSON.stringify(payload);
  }
  const head = JSON.stringify(fields, null, 2);
  return `${head.slice(0, -2)},\n  "payload": ${stored}\n}`;
}

/** Adds a name to a list condition of the query, once; the opposite list loses it. */
function withName(q: Query, key: 'kinds' | 'exclude_kinds' | 'runs' | 'actors', v: string): Query {
  const next: Query = { ...q, [key]: [...new Set([...(q[key] ?? []), v])] };
  if (key === 'kinds' && next.exclude_kinds) next.exclude_kinds = next.exclude_kinds.filter((k) => k !== v);
  if (key === 'exclude_kinds' && next.kinds) next.kinds = next.kinds.filter((k) => k !== v);
  for (const k of ['kinds', 'exclude_kinds'] as const) if (next[k] && !next[k]!.length) delete next[k];
  return next;
}

export function eventMenu(store: AppStore, e: LedgerEvent, x: number, y: number, value?: { label: string; text: string }): MenuSpec {
  const filter = (key: 'kinds' | 'exclude_kinds' | 'runs' | 'actors', v: string) => () => store.getState().setQuery(withName(store.getState().query, key, v));
  // Through the desktop shell where there is one, else the page's clipboard; a failure is told.
  const copy = (text: () => string | Promise<string>) => async () => {
    try {
      await copyText(await text());
    } catch (x) {
      store.getState().setNotice(`Copy failed: ${x instanceof Error ? x.message : String(x)}`);
    }
  };
  const items: MenuItem[] = [];
  if (value) items.push({ label: `Copy ${value.label}`, run: copy(() => value.text) });
  items.push(
    { label: 'Copy payload', run: copy(async () => (await store.getState().fullEvent(e)).payload) },
    { label: 'Copy event as JSON', run: copy(async () => eventJson(await store.getState().fullEvent(e))) },
    { label: `Only kind ${e.kind}`, run: filter('kinds', e.kind) },
    { label: `Exclude kind ${e.kind}`, run: filter('exclude_kinds', e.kind) },
    { label: `Only run ${e.run_id}`, run: filter('runs', e.run_id) },
  );
  if (e.actor) items.push({ label: `Only actor ${e.actor}`, run: filter('actors', e.actor!) });
  const marked = store.getState().bookmarks.includes(e.offset);
  items.push({ label: marked ? 'Remove bookmark' : 'Bookmark this event', run: () => store.getState().toggleBookmark(e.offset) });
  return { x, y, label: `Event ${e.offset}`, items };
}
