// What the window shows of events: stored payload text kept exactly, escapes
// decoded, search hits, kind colours, column layouts, and the per-layout values
// kept in the app's data folder (on real files).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { QuerySchema, type LedgerEvent } from '../src/shared/ledger.ts';
import { nodeIdFromText, type RunProjection } from '../src/shared/projection.ts';
import { AppData } from '../src/main/engine/settings/app-data.ts';
import { DEFAULT_LAYOUT, emptyColumns, fitWidths, moveColumn, normaliseLayout } from '../src/renderer/lib/columns.ts';
import { eventJson } from '../src/renderer/lib/event-menu.ts';
import { leafText, parseLossless } from '../src/renderer/lib/json-source.ts';
import { kindFamily, kindHue } from '../src/renderer/lib/kinds.ts';
import { decodeEscapes, splitHits } from '../src/renderer/lib/preview.ts';
import { parseTimeRange, parseWhere, TIME_SHAPE, WHERE_SHAPE } from '../src/renderer/lib/query-check.ts';
import { nodeText } from '../src/renderer/components/JsonTree.tsx';
import { sortRuns } from '../src/renderer/components/Runs.tsx';

const event = (over: Partial<LedgerEvent> = {}): LedgerEvent => ({
  offset: 7, id: 'e7', run_id: 'r1', seq: null, kind: 'tool_call', actor: 'agent', time: '2026-01-05T08:00:00.112Z',
  session_id: null, model_id: null, node_id: null, payload: '{"a":1}', truncated: false, ...over,
});

describe('payload text', () => {
  const stored = '{"price":1.10,"big":12345678901234567890,"exp":1e3,"neg":-0.0,"list":[2.50,{"x":100.000}],"s":"\\u4e8b"}';

  it('the tree keeps every number as the ledger stores it', () => {
    const tree = parseLossless(stored)!;
    expect(tree.type).toBe('object');
    if (tree.type !== 'object') return;
    const leaves = Object.fromEntries(tree.entries.map(([k, v]) => [k, leafText(v)]));
    expect(leaves).toMatchObject({ price: '1.10', big: '12345678901234567890', exp: '1e3', neg: '-0.0', s: '"事"' });
    // Re-serialised from the tree, numbers are still as stored (JSON.parse would give 1.1 and 12345678901234567000).
    expect(nodeText(tree, 0)).toBe('{"price":1.10,"big":12345678901234567890,"exp":1e3,"neg":-0.0,"list":[2.50,{"x":100.000}],"s":"事"}');
    expect(parseLossless('not json')).toBeNull();
  });

  it('copying an event as JSON splices the stored payload text in unchanged', () => {
    const text = eventJson(event({ payload: stored }));
    expect(text).toContain(`"payload": ${stored}`);
    expect(JSON.parse(text)).toMatchObject({ offset: 7, run_id: 'r1', kind: 'tool_call' });
    expect(text).not.toContain('truncated');
    // A payload that is not JSON is kept as a string.
    expect(JSON.parse(eventJson(event({ payload: 'plain text' }))).payload).toBe('plain text');
  });

  it('previews decode \\u escapes but not escaped backslashes', () => {
    expect(decodeEscapes('{"k":"\\u4e8b\\u4ef6"}')).toBe('{"k":"事件"}');
    expect(decodeEscapes('{"k":"\\\\u4e8b"}')).toBe('{"k":"\\\\u4e8b"}');
    expect(decodeEscapes('{"k":"\\\\\\u4e8b"}')).toBe('{"k":"\\\\事"}');
    expect(decodeEscapes('{"e":"\\ud83d\\ude00"}')).toBe('{"e":"😀"}');
  });

  it('search hits are found case-insensitively, text kept as written', () => {
    expect(splitHits('Upstream did not answer; upstream', 'upstream')).toEqual([
      { text: 'Upstream', hit: true },
      { text: ' did not answer; ', hit: false },
      { text: 'upstream', hit: true },
    ]);
    expect(splitHits('abc', undefined)).toEqual([{ text: 'abc', hit: false }]);
  });

  it('the node of an event comes from the projection rules, even from a cut preview', () => {
    expect(nodeIdFromText('{"node_id":"embed","attempt":2}', null)).toBe('embed');
    expect(nodeIdFromText('{"step_id":"s1","text":"a long text that was cu', null)).toBe('s1');
    expect(nodeIdFromText('{"text":"nothing here', 'col-node')).toBe('col-node');
  });
});

describe('kind colours', () => {
  it('failures red, successes green, retries amber, others outside those bands and stable', () => {
    for (const k of ['node.failed', 'run.failed', 'step_error', 'task.failure']) {
      expect(kindFamily(k)).toBe('failed');
      const h = kindHue(k);
      expect(h >= 345 || h <= 15).toBe(true);
    }
    for (const k of ['node.completed', 'run.completed', 'step.succeeded']) {
      expect(kindFamily(k)).toBe('success');
      expect(kindHue(k)).toBeGreaterThanOrEqual(115);
      expect(kindHue(k)).toBeLessThanOrEqual(150);
    }
    expect(kindFamily('node.retrying')).toBe('warn');
    for (const k of ['node.started', 'run.started', 'tool_call', 'metric', 'log']) {
      expect(kindFamily(k)).toBe('other');
      expect(kindHue(k)).toBeGreaterThanOrEqual(175);
      expect(kindHue(k)).toBeLessThanOrEqual(325);
      expect(kindHue(k)).toBe(kindHue(k));
    }
  });
});

describe('column layouts', () => {
  it('a stored layout is made safe and complete', () => {
    const l = normaliseLayout({ order: ['kind', 'bogus', 'offset'], hidden: { actor: true, nope: true, seq: 'x' }, widths: { run_id: 180, time: -5 } });
    expect(l.order.slice(0, 2)).toEqual(['kind', 'offset']);
    expect(new Set(l.order)).toEqual(new Set(DEFAULT_LAYOUT.order));
    expect(l.hidden).toEqual({ node: true, actor: true });
    expect(l.widths).toEqual({ run_id: 180 });
    expect(normaliseLayout(null)).toEqual(DEFAULT_LAYOUT);
  });

  it('columns move within bounds; empty columns are found; widths fit the text', () => {
    const moved = moveColumn(DEFAULT_LAYOUT, 'kind', -1);
    expect(moved.order.indexOf('kind')).toBe(DEFAULT_LAYOUT.order.indexOf('kind') - 1);
    expect(moveColumn(DEFAULT_LAYOUT, 'offset', -1)).toBe(DEFAULT_LAYOUT);
    const sample = [event(), event({ offset: 1234567, actor: null })];
    expect(emptyColumns(sample)).toEqual(new Set(['seq', 'node']));
    expect(emptyColumns([])).toEqual(new Set());
    const w = fitWidths(sample, (t) => t.length * 7, 17);
    expect(w.time).toBe(Math.ceil('2026-01-05 08:00:00.112'.length * 7 + 17));
    expect(w.offset).toBe(Math.ceil(Math.max('OFFSET'.length, 7) * 7 + 17));
    // One run's long id among many short ones is cut, not fitted: the payload keeps its room. Offsets are never cut.
    const many = [...Array.from({ length: 19 }, (_, i) => event({ run_id: 'run-000001', offset: i })), event({ run_id: 'r'.repeat(90), offset: 123456789 })];
    const fitted = fitWidths(many, (t) => t.length * 7, 17);
    expect(fitted.run_id).toBe(Math.ceil('run-000001'.length * 7 + 17));
    expect(fitted.offset).toBe(Math.ceil('123456789'.length * 7 + 17));
  });
});

describe('app data folder', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'li-appdata-'));

  it('keeps values per scope across instances, deletes with null, never beside the ledger', () => {
    const d = dir();
    const a = new AppData(d);
    a.set('layout:canonical', 'columns', { order: ['kind'] });
    a.set('layout:canonical', 'panels', { runsOpen: false });
    a.set('ledger:/x/y.db', 'views', [{ name: 'fails' }]);
    const b = new AppData(d);
    expect(b.get('layout:canonical')).toEqual({ columns: { order: ['kind'] }, panels: { runsOpen: false } });
    expect(b.get('ledger:/x/y.db')).toEqual({ views: [{ name: 'fails' }] });
    b.set('layout:canonical', 'columns', null);
    expect(new AppData(d).get('layout:canonical')).toEqual({ panels: { runsOpen: false } });
    expect(new AppData(d).get('layout:other')).toEqual({});
    // Every file lives under the data folder, and no temporary file is left.
    const files = fs.readdirSync(path.join(d, 'prefs'));
    expect(files.every((f) => f.endsWith('.json'))).toBe(true);
    expect(files).toHaveLength(2);
  });

  it('a damaged file is set aside and the scope starts afresh', () => {
    const d = dir();
    const a = new AppData(d);
    a.set('s', 'k', 1);
    const [file] = fs.readdirSync(path.join(d, 'prefs'));
    fs.writeFileSync(path.join(d, 'prefs', file!), '{"scope":"s","values":{');
    expect(a.get('s')).toEqual({});
    expect(fs.readFileSync(path.join(d, 'prefs', `${file}.damaged`), 'utf8')).toBe('{"scope":"s","values":{');
    a.set('s', 'k', 2);
    expect(a.get('s')).toEqual({ k: 2 });
  });
});

describe('the filter bar\'s JSON-path condition', () => {
  // The engine's own message for a path its JSON_PATH rule refuses.
  const PATH_RULE = QuerySchema.safeParse({ json_path: { path: 'x', value: 1 } }).error!.issues[0]!.message;

  it('a path the engine refuses is refused with the engine\'s own message', () => {
    expect(PATH_RULE).toMatch(/^a JSON path is \$/);
    for (const text of ['$..x=1', '$.a b=1', 'payload.x=1', '=1', '$.a.=2'])
      expect(parseWhere(text), text).toEqual({ ok: false, message: PATH_RULE });
  });

  it('the value rules are the engine\'s too, and text without = is shown its shape', () => {
    const big = parseWhere('$.n=9007199254740993');
    expect(big.ok).toBe(false);
    expect(!big.ok && big.message).toMatch(/beyond 2\^53/);
    expect(parseWhere('$.node_id')).toEqual({ ok: false, message: WHERE_SHAPE });
  });

  it('a valid condition is read with its JSON value; = inside a quoted key is part of the path', () => {
    expect(parseWhere('$.node_id="embed"')).toEqual({ ok: true, condition: { path: '$.node_id', value: 'embed' } });
    expect(parseWhere(' $.attempt = 2 ')).toEqual({ ok: true, condition: { path: '$.attempt', value: 2 } });
    expect(parseWhere('$.items[0].ok=true')).toEqual({ ok: true, condition: { path: '$.items[0].ok', value: true } });
    expect(parseWhere('$.x=null')).toEqual({ ok: true, condition: { path: '$.x', value: null } });
    expect(parseWhere('$.name=plain text')).toEqual({ ok: true, condition: { path: '$.name', value: 'plain text' } });
    expect(parseWhere('$."a=b"=1')).toEqual({ ok: true, condition: { path: '$."a=b"', value: 1 } });
  });
});

describe('the filter bar\'s time range', () => {
  it('typed times are read as UTC, ISO times as written, an empty end is no bound', () => {
    expect(parseTimeRange('2026-01-05 12:00', ' 2026-01-05T18:00:00+01:00 ')).toEqual({ ok: true, time_from: '2026-01-05T12:00:00.000Z', time_to: '2026-01-05T17:00:00.000Z' });
    expect(parseTimeRange('', '2026-01-05 08:00:00.5')).toEqual({ ok: true, time_from: undefined, time_to: '2026-01-05T08:00:00.500Z' });
  });

  it('each end that is no time is refused, naming the text', () => {
    expect(parseTimeRange('yesterday-ish', '')).toEqual({ ok: false, refused: { from: `"yesterday-ish" is not a time: ${TIME_SHAPE}` } });
    expect(parseTimeRange('2026-01-05', 'soon')).toEqual({ ok: false, refused: { to: `"soon" is not a time: ${TIME_SHAPE}` } });
    const both = parseTimeRange('x', 'y');
    expect(!both.ok && Object.keys(both.refused)).toEqual(['from', 'to']);
  });
});

describe('the runs table', () => {
  const run = (run_id: string, first_offset: number, event_count: number) => ({ run_id, first_offset, event_count, status: 'completed' }) as unknown as RunProjection;
  // In ledger order (first offset) run-10 started before run-2 and run-1.
  const runs = [run('run-10', 1, 5), run('run-2', 2, 7), run('run-1', 3, 6), run('run-9', 4, 5)];
  const ids = (rs: RunProjection[]) => rs.map((r) => r.run_id);

  it('Run sorts by run id in natural order, both ways, not by first offset', () => {
    expect(ids(sortRuns(runs, '', 'run_id', 1))).toEqual(['run-1', 'run-2', 'run-9', 'run-10']);
    expect(ids(sortRuns(runs, '', 'run_id', -1))).toEqual(['run-10', 'run-9', 'run-2', 'run-1']);
  });

  it('the other columns sort as before, stable on ties', () => {
    expect(ids(sortRuns(runs, '', 'event_count', 1))).toEqual(['run-10', 'run-9', 'run-1', 'run-2']);
    expect(ids(sortRuns(runs, 'failed', 'run_id', 1))).toEqual([]);
  });
});
