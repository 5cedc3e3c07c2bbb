// The filter bar: kinds in or out, runs, actors, time range, text, a JSON-path
// condition. Facet lists carry counts; every change is a new view in the history.
import { useEffect, useRef, useState } from 'react';
import { useApp } from '../lib/use-app.tsx';
import type { FacetValue, Query } from '../../shared/ledger.ts';
import type { Rules } from '../../shared/projection.ts';
import { kindColor } from '../lib/kinds.ts';
import { useLedgerRules } from '../lib/ledger-rules.ts';
import { parseTimeRange, parseWhere } from '../lib/query-check.ts';
import { ColumnsMenu } from './EventList.tsx';
import { BookmarksMenu, MenuCount, ViewsMenu } from './SavedMenus.tsx';

const n = (x: number) => x.toLocaleString('en-US');

function clean(q: Query): Query {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined && !(Array.isArray(v) && v.length === 0) && v !== '') out[k] = v;
  return out as Query;
}

/** A value's count; the database planner's estimate (a big PostgreSQL table) is marked ≈ until the count replaces it. */
function FacetCount({ facet }: { facet: FacetValue }) {
  if (!facet.estimate) return <span className="facet-count">{n(facet.count)}</span>;
  return (
    <span className="facet-count estimate" title="the database planner's estimate; the exact count replaces it when it is ready" data-testid="facet-estimate">
      ≈{n(facet.count)}
    </span>
  );
}

function KindMenu({ facets, query, apply, rules }: { facets: FacetValue[] | undefined; query: Query; apply: (q: Query) => void; rules: Rules }) {
  const inc = new Set(query.kinds ?? []);
  const exc = new Set(query.exclude_kinds ?? []);
  // Each click moves a kind through: any -> only these -> left out -> any.
  const cycle = (k: string) => {
    const i = new Set(inc);
    const e = new Set(exc);
    if (i.has(k)) {
      i.delete(k);
      e.add(k);
    } else if (e.has(k)) e.delete(k);
    else i.add(k);
    apply(clean({ ...query, kinds: [...i], exclude_kinds: [...e] }));
  };
  return (
    <details className="facet-menu" data-testid="kind-menu">
      <summary>
        Kinds
        <MenuCount n={inc.size + exc.size} label={[inc.size && `${inc.size} in`, exc.size && `${exc.size} out`].filter(Boolean).join(', ')} />
      </summary>
      <div className="facet-list">
        {(facets ?? []).map((f) => {
          const k = String(f.value);
          const state = inc.has(k) ? 'in' : exc.has(k) ? 'out' : 'any';
          return (
            <button key={k} className={`facet ${state}`} onClick={() => cycle(k)} data-kind={k} title="click: only this kind; again: leave it out; again: any">
              <span className="facet-mark">{state === 'in' ? '✓' : state === 'out' ? '−' : ''}</span>
              <i className="kind-dot" style={{ background: kindColor(k, rules) }} />
              <span className="facet-name">{k}</span>
              <FacetCount facet={f} />
            </button>
          );
        })}
      </div>
    </details>
  );
}

function ListMenu({ label, facets, chosen, onToggle, testid }: { label: string; facets: FacetValue[] | undefined; chosen: string[]; onToggle: (v: string) => void; testid: string }) {
  const [filter, setFilter] = useState('');
  const shown = (facets ?? []).filter((f) => String(f.value).toLowerCase().includes(filter.toLowerCase())).slice(0, 200);
  return (
    <details className="facet-menu" data-testid={testid}>
      <summary>
        {label}
        <MenuCount n={chosen.length} />
      </summary>
      <div className="facet-list">
        <input placeholder={`find a ${label.toLowerCase().replace(/s$/, '')}`} aria-label={`Find a ${label.toLowerCase().replace(/s$/, '')}`} value={filter} onChange={(e) => setFilter(e.target.value)} />
        {shown.map((f) => {
          const v = String(f.value);
          return (
            <button key={v} className={`facet ${chosen.includes(v) ? 'in' : 'any'}`} onClick={() => onToggle(v)}>
              <span className="facet-mark">{chosen.includes(v) ? '✓' : ''}</span>
              <span className="facet-name">{v}</span>
              <FacetCount facet={f} />
            </button>
          );
        })}
      </div>
    </details>
  );
}

/**
 * The bar's menus (details elements) open one at a time and close on Escape or a
 * click outside, focus going back to the menu's button.
 */
function useMenus(bar: React.RefObject<HTMLDivElement | null>) {
  useEffect(() => {
    const el = bar.current;
    if (!el) return;
    const menus = () => [...el.querySelectorAll<HTMLDetailsElement>('details.facet-menu')];
    const onToggle = (e: Event) => {
      const d = e.target as HTMLDetailsElement;
      if (d.open) for (const m of menus()) if (m !== d) m.open = false;
    };
    const onDown = (e: MouseEvent) => {
      for (const m of menus()) if (m.open && !m.contains(e.target as Node)) m.open = false;
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      const open = menus().find((m) => m.open);
      if (!open) return;
      open.open = false;
      open.querySelector('summary')?.focus();
      e.stopPropagation();
    };
    el.addEventListener('toggle', onToggle, true);
    window.addEventListener('mousedown', onDown);
    window.addEventListener('keydown', onKey);
    return () => {
      el.removeEventListener('toggle', onToggle, true);
      window.removeEventListener('mousedown', onDown);
      window.removeEventListener('keydown', onKey);
    };
  }, [bar]);
}

export function FilterBar() {
  const bar = useRef<HTMLDivElement>(null);
  useMenus(bar);
  const query = useApp((s) => s.query);
  const facets = useApp((s) => s.facets);
  const rules = useLedgerRules();
  const total = useApp((s) => s.total);
  const exact = useApp((s) => s.exact);
  const setQuery = useApp((s) => s.setQuery);
  const [text, setText] = useState(query.text ?? '');
  const [where, setWhere] = useState('');
  const [from, setFrom] = useState(query.time_from ?? '');
  const [to, setTo] = useState(query.time_to ?? '');
  useEffect(() => setFrom(query.time_from ?? ''), [query.time_from]);
  useEffect(() => setTo(query.time_to ?? ''), [query.time_to]);
  /** Like the JSON-path field: set when Enter met a time that is none, then checked as typed. */
  const [timeChecked, setTimeChecked] = useState(false);
  const timeRange = timeChecked ? parseTimeRange(from, to) : null;
  const timeProblem = timeRange && !timeRange.ok ? timeRange.refused : null;
  const applyTime = () => {
    const parsed = parseTimeRange(from, to);
    setTimeChecked(!parsed.ok);
    if (parsed.ok) apply({ ...query, time_from: parsed.time_from, time_to: parsed.time_to });
  };
  useEffect(() => setText(query.text ?? ''), [query.text]);
  useEffect(() => setWhere(query.json_path ? `${query.json_path.path}=${JSON.stringify(query.json_path.value)}` : ''), [query.json_path]);
  const apply = (q: Query) => void setQuery(clean(q));
  const toggle = (key: 'runs' | 'actors') => (v: string) => {
    const cur = query[key] ?? [];
    apply({ ...query, [key]: cur.includes(v) ? cur.filter((x) => x !== v) : [...cur, v] });
  };
  /**
   * Set when Enter met a condition the engine's rules refuse: from then the field is checked
   * as it is typed, its message shown at it, until a condition is applied or cleared.
   */
  const [whereChecked, setWhereChecked] = useState(false);
  const whereRefused = whereChecked && where.trim() ? parseWhere(where) : null;
  const whereProblem = whereRefused && !whereRefused.ok ? whereRefused.message : null;
  const applyWhere = () => {
    if (!where.trim()) {
      setWhereChecked(false);
      return apply({ ...query, json_path: undefined });
    }
    const parsed = parseWhere(where);
    // Refused: not applied, the text stays to correct and the list on the last valid filters.
    setWhereChecked(!parsed.ok);
    if (parsed.ok) apply({ ...query, json_path: parsed.condition });
  };
  const chips: Array<[string, () => void]> = [];
  for (const k of query.kinds ?? []) chips.push([`kind: ${k}`, () => apply({ ...query, kinds: query.kinds!.filter((x) => x !== k) })]);
  for (const k of query.exclude_kinds ?? []) chips.push([`not ${k}`, () => apply({ ...query, exclude_kinds: query.exclude_kinds!.filter((x) => x !== k) })]);
  for (const r of query.runs ?? []) chips.push([`run: ${r}`, () => apply({ ...query, runs: query.runs!.filter((x) => x !== r) })]);
  for (const a of query.actors ?? []) chips.push([`actor: ${a}`, () => apply({ ...query, actors: query.actors!.filter((x) => x !== a) })]);
  if (query.time_from || query.time_to) chips.push([`time: ${query.time_from ?? '…'} → ${query.time_to ?? '…'}`, () => apply({ ...query, time_from: undefined, time_to: undefined })]);
  if (query.text) chips.push([`text: ${query.text}`, () => apply({ ...query, text: undefined })]);
  if (query.json_path) chips.push([`${query.json_path.path} = ${JSON.stringify(query.json_path.value)}`, () => apply({ ...query, json_path: undefined })]);
  const filtered = Object.keys(query).length > 0;
  return (
    // Two lines: the controls, whose sizes hang on nothing typed or applied, with the count
    // in a place kept for it; then the chips and Clear, when anything is applied.
    <div className="filter-bar" data-testid="filter-bar" ref={bar}>
      <div className="filter-controls">
        <KindMenu facets={facets.kind} query={query} apply={apply} rules={rules} />
        <ListMenu label="Runs" facets={facets.run_id} chosen={query.runs ?? []} onToggle={toggle('runs')} testid="run-menu" />
        <ListMenu label="Actors" facets={facets.actor} chosen={query.actors ?? []} onToggle={toggle('actors')} testid="actor-menu" />
        <form onSubmit={(e) => (e.preventDefault(), apply({ ...query, text: text.trim() || undefined }))}>
          <input className="text-filter" placeholder="Text in payload" aria-label="Text in payload" value={text} onChange={(e) => setText(e.target.value)} data-testid="text-filter" />
        </form>
        <form onSubmit={(e) => (e.preventDefault(), applyWhere())}>
          <input
            className="where-filter"
            placeholder="$.path=value"
            aria-label="JSON-path condition"
            aria-invalid={whereProblem !== null}
            aria-describedby={whereProblem ? 'where-error' : undefined}
            aria-errormessage={whereProblem ? 'where-error' : undefined}
            value={where}
            onChange={(e) => setWhere(e.target.value)}
            data-testid="where-filter"
          />
        </form>
        <form onSubmit={(e) => (e.preventDefault(), applyTime())} className="time-range">
          {(['from', 'to'] as const).map((end) => (
            <input
              key={end}
              placeholder={`${end} time`}
              aria-label={`${end === 'from' ? 'From' : 'To'} time (UTC)`}
              aria-invalid={!!timeProblem?.[end]}
              aria-describedby={timeProblem?.[end] ? 'time-error' : undefined}
              aria-errormessage={timeProblem?.[end] ? 'time-error' : undefined}
              value={end === 'from' ? from : to}
              onChange={(e) => (end === 'from' ? setFrom : setTo)(e.target.value)}
              data-testid={`time-${end}`}
              title="Enter applies; UTC"
            />
          ))}
          <button type="submit" hidden />
        </form>
        <div className="filter-tools">
          <span className="match-count" data-testid="match-count" role="status" aria-live="polite">{filtered ? `${exact ? '' : '≈'}${n(total)} matching` : ''}</span>
          <BookmarksMenu />
          <ViewsMenu />
          <ColumnsMenu />
        </div>
      </div>
      {filtered && (
        <div className="filter-applied">
          <div className="chips">
            {chips.map(([label, remove]) => (
              <span className="chip" key={label}>
                {label}
                <button onClick={remove} aria-label={`remove ${label}`}>×</button>
              </span>
            ))}
          </div>
          <button onClick={() => apply({})}>Clear</button>
        </div>
      )}
      {whereProblem && (
        <p className="filter-error" id="where-error" role="alert" data-testid="where-error">
          <strong>JSON-path condition not applied:</strong> {whereProblem}
        </p>
      )}
      {timeProblem && (
        <p className="filter-error" id="time-error" role="alert" data-testid="time-error">
          {timeProblem.from && (
            <span>
              <strong>From time not applied:</strong> {timeProblem.from}
            </span>
          )}
          {timeProblem.to && (
            <span>
              <strong>To time not applied:</strong> {timeProblem.to}
            </span>
          )}
        </p>
      )}
    </div>
  );
}
