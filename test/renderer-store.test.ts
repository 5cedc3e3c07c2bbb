// The window's store against a fake engine built from the contract.
import { describe, expect, it } from 'vitest';
import type { LedgerInfo } from '../src/shared/contract.ts';
import { LedgerError } from '../src/shared/errors.ts';
import type { LedgerEvent } from '../src/shared/ledger.ts';
import { createAppStore } from '../src/renderer/lib/store.ts';
import { RowCache, WINDOW } from '../src/renderer/lib/rows.ts';
import { clampOffset, MAX_PHYSICAL_PX, scrollSpace, toPhysical, toVirtual } from '../src/renderer/lib/scroll.ts';
import { fakeClient } from './fake-client.ts';

// Offsets 10, 20, 30 … like a ledger with gaps.
const EVENTS: LedgerEvent[] = Array.from({ length: 1000 }, (_, i) => ({
  offset: (i + 1) * 10, id: `e${i}`, run_id: `r${i % 5}`, seq: i, kind: i % 7 ? 'tool_call' : 'node.failed', actor: 'a', time: null,
  session_id: null, model_id: null, node_id: null, payload: JSON.stringify({ i }), truncated: false,
}));
const info = (path: string): LedgerInfo => ({ ledger: `L:${path}`, path, layout: 'canonical', events: EVENTS.length, first_offset: 10, last_offset: 10_000, appendable: true, warnings: [], mapping: { how: 'layout', mapping: null }, rules: { how: 'none', rules: null } });
const settle = () => new Promise((r) => setTimeout(r, 0));

function engine() {
  return fakeClient({
    open: ({ path }) => {
      if (path.endsWith('.bad')) throw new LedgerError('not_a_ledger', 'not a SQLite database or JSONL ledger', path);
      return info(path);
    },
    rows: ({ start, count }) => ({ start, events: EVENTS.slice(start, start + count), total: EVENTS.length, exact: true }),
    event: ({ offset }) => EVENTS.find((e) => e.offset === offset) ?? null,
    locate: ({ offset }) => {
      const position = EVENTS.findIndex((e) => e.offset >= offset);
      return position < 0 ? { position: EVENTS.length, offset: null } : { position, offset: EVENTS[position]!.offset };
    },
  });
}

describe('app store', () => {
  it('opens a ledger, selects the first event and loads it in full, and tells the shell', async () => {
    const { client, calls } = engine();
    const store = createAppStore(client);
    await store.getState().open('/data/a.db');
    await settle();
    const s = store.getState();
    expect(s.info?.path).toBe('/data/a.db');
    expect(s.total).toBe(1000);
    expect(s.selected).toBe(0);
    expect(s.detail?.id).toBe('e0');
    expect(calls.find((c) => c.method === 'uiState')?.args).toMatchObject({ ledger: 'L:/data/a.db', path: '/data/a.db' });
  });

  it('shows an open error with its path and keeps the ledger that was open', async () => {
    const { client, calls } = engine();
    const store = createAppStore(client);
    await store.getState().open('/data/a.db');
    await store.getState().open('/data/x.bad');
    const s = store.getState();
    expect(s.error).toEqual({ message: 'not a SQLite database or JSONL ledger (/data/x.bad)', path: '/data/x.bad', code: 'not_a_ledger' });
    expect(s.info?.path).toBe('/data/a.db');
    expect(calls.some((c) => c.method === 'close')).toBe(false);
    await store.getState().open('/data/b.db');
    expect(store.getState().error).toBeNull();
    expect(calls.filter((c) => c.method === 'close').map((c) => c.args)).toEqual([{ ledger: 'L:/data/a.db' }]);
  });

  it('goes to an offset, or to the next one with a notice when there is no event there', async () => {
    const { client } = engine();
    const store = createAppStore(client);
    await store.getState().open('/data/a.db');
    expect(await store.getState().goToOffset(5000)).toBe(499);
    await settle();
    expect(store.getState().detail?.offset).toBe(5000);
    expect(await store.getState().goToOffset(5005)).toBe(500);
    expect(store.getState().notice).toBe('No event at offset 5005; showing the next one, 5010');
    expect(await store.getState().goToOffset(99_999)).toBeNull();
    expect(store.getState().notice).toBe('No event at or after offset 99999');
  });

  it('tracks job progress and completion, and obeys the shell’s commands', async () => {
    const { client, push, calls } = engine();
    const store = createAppStore(client);
    push({ event: 'progress', payload: { job: 'j1', method: 'snapshot', done: 5, total: 10, unit: 'pages' } });
    expect(store.getState().jobs.j1).toMatchObject({ method: 'snapshot', done: 5, total: 10 });
    store.getState().cancelJob('j1');
    expect(calls.at(-1)).toEqual({ method: 'cancel', args: { job: 'j1' } });
    push({ event: 'jobDone', payload: { job: 'j1', method: 'snapshot', ok: false, code: 'cancelled', error: 'cancelled; nothing was written' } });
    expect(store.getState().jobs).toEqual({});
    expect(store.getState().notice).toBe('snapshot cancelled; nothing was written');
    // A job ended by its ledger's close (another file opened while its index was built) is no news.
    push({ event: 'jobDone', payload: { job: 'j2', method: 'indexText', ok: false, code: 'cancelled', error: 'cancelled; nothing was written' } });
    expect(store.getState().notice).toBe('snapshot cancelled; nothing was written');
    push({ event: 'command', payload: { command: 'open', path: '/data/c.db' } });
    await settle();
    expect(store.getState().info?.path).toBe('/data/c.db');
    store.setState({ follow: true, notice: null });
    push({ event: 'tailError', payload: { ledger: 'L:/data/other.db', code: 'replaced', message: 'other.db was replaced' } });
    expect(store.getState()).toMatchObject({ follow: true, notice: null });
    push({ event: 'tailError', payload: { ledger: 'L:/data/c.db', code: 'replaced', message: 'c.db was replaced' } });
    expect(store.getState()).toMatchObject({ follow: false, notice: 'c.db was replaced' });
    push({ event: 'command', payload: { command: 'theme', theme: 'dark' } });
    expect(store.getState().theme).toBe('dark');
    push({ event: 'command', payload: { command: 'close' } });
    expect(store.getState().info).toBeNull();
  });
});

describe('closing a ledger', () => {
  /** The store's data, functions left out, the row cache by what it reads. */
  const data = (s: object) =>
    JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(s).filter(([k, v]) => typeof v !== 'function' && k !== 'rows')), (_k, v) => (v === undefined ? null : v)));
  const replayAt = { step: 1, steps: 3, event: EVENTS[0]!, state: { run: null, node_runs: [] }, before: { run: null, node_runs: [] }, changed: { run: [], node_runs: [] } };

  it('close then open of another ledger leaves nothing of the first: the same state as opening it in a new window', async () => {
    // The first ledger's filter is still being counted, and its detail for offset 20 answers late.
    let late: (() => void) | null = null;
    const { client } = fakeClient({
      open: ({ path }) => info(path),
      rows: ({ start, count, query }) => ({ start, events: EVENTS.slice(start, start + count), total: EVENTS.length, exact: !query }),
      event: ({ offset }) => (offset === 20 ? new Promise((r) => (late = () => r(EVENTS[1]!))) : (EVENTS.find((e) => e.offset === offset) ?? null)),
      locate: ({ offset }) => ({ position: Math.max(0, EVENTS.findIndex((e) => e.offset >= offset)), offset }),
      run: ({ run_id }) => ({ run: { run_id } as never, node_runs: [], drift: null }),
      replayOpen: () => ({ replay: 'R1', steps: 3 }),
      replayAt: () => replayAt,
    });
    const store = createAppStore(client);
    const s = () => store.getState();
    await s().open('/data/a.db');
    await s().setQuery({ kinds: ['node.failed'] });
    await s().selectRun('r1');
    await s().openReplay('r1');
    s().toggleBookmark(10);
    s().saveView('mine');
    s().setGotoOpen(true);
    s().setExportOpen(true);
    s().setNotice('a notice about a.db');
    s().openMenu({ x: 1, y: 1, label: 'event 10', items: [] });
    s().select(1);
    await settle();
    expect(s().exact).toBe(false);
    await s().close();
    // Closed, the window is as a new one before any open: every slice reset.
    expect(data(s())).toEqual(data(createAppStore(client).getState()));
    await s().open('/data/b.db');
    late!();
    await settle();

    const fresh = createAppStore(client);
    await fresh.getState().open('/data/b.db');
    await settle();
    expect(data(s())).toEqual(data(fresh.getState()));
    expect(s().rows?.get(0)).toEqual(fresh.getState().rows?.get(0));
  });
});

describe('row cache', () => {
  it('loads whole windows once and keeps only a bounded number', async () => {
    const { client, calls } = engine();
    let loads = 0;
    const cache = new RowCache(client, 'L', undefined, () => loads++);
    expect(cache.get(5)).toBeUndefined();
    expect(cache.get(7)).toBeUndefined();
    await settle();
    expect(cache.get(7)?.id).toBe('e7');
    expect(calls.filter((c) => c.method === 'rows')).toHaveLength(1);
    for (let w = 0; w < 20; w++) cache.get(w * WINDOW);
    await settle();
    expect(cache.size).toBeLessThanOrEqual(8);
    expect(loads).toBe(20);
  });

  it('when the ledger grows, keeps showing the rows it held until their windows load again, however often it grows', async () => {
    const { client, calls } = engine();
    const cache = new RowCache(client, 'L', undefined, () => {});
    cache.get(30);
    await settle();
    // Two growths in a row: the first reload is dropped as out of date, and the rows still show.
    cache.invalidate();
    expect(cache.get(30)?.id).toBe('e30');
    cache.invalidate();
    expect(cache.get(31)?.id).toBe('e31');
    expect(calls.filter((c) => c.method === 'rows')).toHaveLength(3);
    await settle();
    expect(cache.get(30)?.id).toBe('e30');
    expect(calls.filter((c) => c.method === 'rows')).toHaveLength(3);
    // A window never held before has nothing to show while it loads.
    expect(cache.get(500)).toBeUndefined();
  });
});

describe('scaled scroll space', () => {
  it('maps a 10M-row list into a bounded height, ends meeting ends', () => {
    const viewport = 800;
    const s = scrollSpace(10_000_000 * 24, viewport);
    expect(s.physical).toBe(MAX_PHYSICAL_PX);
    const maxPhysical = s.physical - viewport;
    expect(toVirtual(s, maxPhysical)).toBeCloseTo(s.virtual - viewport, 3);
    expect(toPhysical(s, s.virtual - viewport)).toBeCloseTo(maxPhysical, 3);
    expect(clampOffset(s, viewport, 1e12)).toBe(s.virtual - viewport);
    expect(clampOffset(s, viewport, -5)).toBe(0);
    const small = scrollSpace(1000 * 24, viewport);
    expect(small).toEqual({ virtual: 24_000, physical: 24_000, ratio: 1 });
  });
});

describe("a big table's facets", () => {
  it('show the estimates, then the counts; refreshed, the counts stay and one counting runs at a time', async () => {
    let exactCalls = 0;
    // The counting waits at a gate the test opens.
    let release: () => void = () => undefined;
    let gate = new Promise<void>((r) => (release = r));
    const open = () => {
      release();
      gate = new Promise<void>((r) => (release = r));
    };
    const { client } = fakeClient({
      open: ({ path }) => info(path),
      rows: ({ start, count }) => ({ start, events: EVENTS.slice(start, start + count), total: EVENTS.length, exact: true }),
      facets: async ({ field, exact }) => {
        if (!exact) return [{ value: `${field}-a`, count: 1000, estimate: true }];
        exactCalls++;
        await gate;
        return [{ value: `${field}-a`, count: 987 }];
      },
      histogram: () => ({ from: null, to: null, bucket_ms: 0, counts: [] }),
    });
    const store = createAppStore(client);
    await store.getState().open('/data/big');
    await settle();
    expect(store.getState().facets.kind).toEqual([{ value: 'kind-a', count: 1000, estimate: true }]);
    // A refresh (the ledger grew) while the counting runs starts no second one.
    await store.getState().refreshSummaries();
    expect(exactCalls).toBe(3);
    open();
    await settle();
    await settle();
    expect(store.getState().facets.kind).toEqual([{ value: 'kind-a', count: 987 }]);
    // Refreshed again, the estimates do not replace the counts shown; the new counts do.
    const refreshed = store.getState().refreshSummaries();
    await settle();
    expect(store.getState().facets.run_id).toEqual([{ value: 'run_id-a', count: 987 }]);
    expect(exactCalls).toBe(6);
    open();
    await refreshed;
  });
});

describe('summaries of a new filter', () => {
  it('show the histogram as soon as it comes, without waiting for the facet counts, and ask for it first', async () => {
    const asked: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const histogram = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:01:00.000Z', bucket_ms: 1000, counts: [3] };
    const { client } = fakeClient({
      open: ({ path }) => info(path),
      rows: ({ start, count }) => ({ start, events: EVENTS.slice(start, start + count), total: EVENTS.length, exact: true }),
      facets: async ({ field }) => {
        asked.push(`facets ${field}`);
        await gate;
        return [{ value: `${field}-a`, count: 1 }];
      },
      histogram: () => {
        asked.push('histogram');
        return histogram;
      },
    });
    const store = createAppStore(client);
    void store.getState().open('/data/a');
    await settle();
    // The facets are still being counted: the histogram is in, and no longer marked as loading.
    expect(asked[0]).toBe('histogram');
    expect(store.getState().histogram).toEqual(histogram);
    expect(store.getState().histogramLoading).toBe(false);
    expect(store.getState().facets.kind).toBeUndefined();
    release();
    await settle();
    await settle();
    expect(store.getState().facets.kind).toEqual([{ value: 'kind-a', count: 1 }]);
  });
});

describe('a filter the engine refuses', () => {
  it('is never taken as the filter shown: the query, the rows and the history stay on the last valid one, with why', async () => {
    const { client, calls } = engine();
    const pushed: unknown[] = [];
    const store = createAppStore(client, { push: (v) => pushed.push(v), replace: () => {} });
    const s = () => store.getState();
    await s().open('/data/a.db');
    await s().setQuery({ kinds: ['node.failed'] });
    const rows = s().rows;
    const before = calls.length;
    pushed.length = 0;
    // As from a URL's hash or a saved view: a path outside the engine's JSON_PATH rule.
    await s().setQuery({ kinds: ['node.failed'], json_path: { path: '$..x', value: 1 } });
    await settle();
    expect(s().query).toEqual({ kinds: ['node.failed'] });
    expect(s().rows).toBe(rows);
    expect(s().updating).toBe(false);
    expect(pushed).toEqual([]);
    expect(calls.slice(before).map((c) => c.method)).toEqual([]);
    expect(s().notice).toBe('Filter not applied: json_path.path: a JSON path is $ followed by .key, ."key" or [index] steps, e.g. $.node_id or $.items[0].name');
  });
});
