// The event list: every event of the ledger in one virtualized ARIA grid. The
// scroll space is scaled past the browser's element-height cap (see lib/scroll.ts);
// rows come from the window cache, so only what is on screen is ever held. Columns
// fit their content, can be hidden, moved and resized (lib/columns.ts), and the
// grid scrolls sideways when they outgrow it.
import { observeElementRect, useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'react';
import { useApp, useAppStore } from '../lib/use-app.tsx';
import type { LedgerEvent } from '../../shared/ledger.ts';
import { COLUMN, DEFAULT_LAYOUT, emptyColumns, fitWidths, moveColumn, type ColumnKey } from '../lib/columns.ts';
import { kindColor, statusClass } from '../lib/kinds.ts';
import { decodeEscapes } from '../lib/preview.ts';
import { eventMenu } from '../lib/event-menu.ts';
import type { Rules } from '../../shared/projection.ts';
import { useLedgerRules } from '../lib/ledger-rules.ts';
import { clampOffset, scrollSpace, toPhysical, toVirtual } from '../lib/scroll.ts';
import { Highlight } from './JsonTree.tsx';

export const ROW_HEIGHT = 24;
const HEADER_HEIGHT = 28;

let measureCtx: CanvasRenderingContext2D | null = null;
/** The width of text in the list's monospace font. */
function measure(text: string): number {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  if (!measureCtx) return text.length * 7.3;
  const mono = getComputedStyle(document.querySelector('.app') ?? document.body).getPropertyValue('--mono') || 'monospace';
  measureCtx.font = `12px ${mono}`;
  return measureCtx.measureText(text).width;
}

const Cell = ({ k, e, needle, marked, rules }: { k: ColumnKey; e: LedgerEvent; needle?: string; marked: boolean; rules: Rules }) => {
  if (k === 'offset')
    return (
      <span role="gridcell" className="c-offset" data-column={k}>
        {marked && (
          <span className="bookmark-mark" title="bookmarked" aria-label="bookmarked">
            ★
          </span>
        )}
        {e.offset}
      </span>
    );
  if (k === 'kind')
    return (
      <span role="gridcell" className="c-kind">
        <i className="kind-dot" style={{ background: kindColor(e.kind, rules) }} />
        {e.kind}
        {e.archived && <span className="archived-mark"> archived</span>}
      </span>
    );
  if (k === 'payload')
    return (
      <span role="gridcell" className="c-payload">
        <Highlight text={decodeEscapes(e.payload) + (e.truncated ? '…' : '')} needle={needle} />
      </span>
    );
  const text = COLUMN[k].text(e);
  return (
    <span role="gridcell" className={`c-${k}`} data-column={k} title={k === 'time' ? (e.time ?? '') : k === 'run_id' ? text : undefined}>
      {text}
    </span>
  );
};

interface RowProps {
  event: LedgerEvent | undefined;
  position: number;
  top: number;
  selected: boolean;
  marked: boolean;
  cols: ColumnKey[];
  needle?: string;
  /** The open ledger's rules: they say which kinds are failures and retries. */
  rules: Rules;
  onSelect: (p: number) => void;
  onMenu: (e: React.MouseEvent, position: number, event: LedgerEvent) => void;
}

const Row = memo(function Row({ event: e, position, top, selected, marked, cols, needle, rules, onSelect, onMenu }: RowProps) {
  const cls = `row${selected ? ' selected' : ''}${e ? ` ${statusClass(e.kind, rules)}${e.archived ? ' archived' : ''}` : ' loading'}`;
  return (
    <div
      className={cls}
      id={`event-row-${position}`}
      style={{ transform: `translateY(${top}px)` }}
      onMouseDown={(m) => m.button === 0 && onSelect(position)}
      onContextMenu={(m) => e && onMenu(m, position, e)}
      data-position={position}
      data-offset={e?.offset}
      role="row"
      aria-rowindex={position + 2}
      aria-selected={selected}
    >
      {e ? (
        cols.map((k) => <Cell key={k} k={k} e={e} needle={needle} marked={marked} rules={rules} />)
      ) : (
        <span role="gridcell" className="c-loading">
          …
        </span>
      )}
    </div>
  );
});

/** The columns on screen: not hidden by the user, and not empty in the sample unless the user showed them. */
function useShownColumns(): Set<ColumnKey> {
  const layout = useApp((s) => s.columns);
  const sample = useApp((s) => s.sample);
  const empty = useMemo(() => emptyColumns(sample), [sample]);
  return useMemo(() => new Set(layout.order.filter((k) => (layout.hidden[k] ?? empty.has(k)) === false)), [layout, empty]);
}

export function ColumnsMenu() {
  const layout = useApp((s) => s.columns);
  const shown = useShownColumns();
  const setColumns = useApp((s) => s.setColumns);
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const outside = (e: MouseEvent) => !ref.current?.contains(e.target as Node) && setOpen(false);
    window.addEventListener('mousedown', outside);
    return () => window.removeEventListener('mousedown', outside);
  }, [open]);
  return (
    <div className="columns-menu" ref={ref} onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), setOpen(false))}>
      <button onClick={() => setOpen((x) => !x)} aria-expanded={open} aria-haspopup="true" data-testid="columns-button" title="Show, hide and order the columns">
        Columns
      </button>
      {open && (
        <div className="columns-list" role="group" aria-label="Columns" data-testid="columns-list">
          {layout.order.map((k, i) => (
            <div key={k} className="column-item">
              <label>
                <input
                  type="checkbox"
                  checked={shown.has(k)}
                  onChange={(e) => setColumns({ ...layout, hidden: { ...layout.hidden, [k]: !e.target.checked } })}
                  data-column={k}
                />
                {COLUMN[k].label}
              </label>
              <button disabled={i === 0} onClick={() => setColumns(moveColumn(layout, k, -1))} aria-label={`Move ${COLUMN[k].label} left`}>
                ←
              </button>
              <button disabled={i === layout.order.length - 1} onClick={() => setColumns(moveColumn(layout, k, 1))} aria-label={`Move ${COLUMN[k].label} right`}>
                →
              </button>
            </div>
          ))}
          <button onClick={() => setColumns(DEFAULT_LAYOUT)}>Reset columns</button>
        </div>
      )}
    </div>
  );
}

export function EventList() {
  const store = useAppStore();
  const total = useApp((s) => s.total);
  useApp((s) => s.rowsVersion);
  const selected = useApp((s) => s.selected);
  const rows = useApp((s) => s.rows);
  const select = useApp((s) => s.select);
  const layout = useApp((s) => s.columns);
  const sample = useApp((s) => s.sample);
  const needle = useApp((s) => s.query.text);
  const filtered = useApp((s) => Object.keys(s.query).length > 0);
  const updating = useApp((s) => s.updating);
  const bookmarks = useApp((s) => s.bookmarks);
  const marked = useMemo(() => new Set(bookmarks), [bookmarks]);
  const rules = useLedgerRules();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState(600);
  const [dragWidth, setDragWidth] = useState<{ key: ColumnKey; width: number } | null>(null);
  const space = scrollSpace(total * ROW_HEIGHT, viewport);
  const spaceRef = useRef(space);
  spaceRef.current = space;
  const viewportRef = useRef(viewport);
  viewportRef.current = viewport;
  const vOffset = useRef(0);
  const notify = useRef<((offset: number, isScrolling: boolean) => void) | null>(null);
  const ignoreScroll = useRef(false);
  const [, rerender] = useReducer((x: number) => x + 1, 0);

  // Fitted once per ledger (its sample), so columns do not jump while scrolling or filtering.
  const fitted = useMemo(() => fitWidths(sample, measure), [sample]);
  const shown = useShownColumns();
  const cols = useMemo(() => layout.order.filter((k) => shown.has(k)), [layout, shown]);
  const width = (k: ColumnKey) => (dragWidth?.key === k ? dragWidth.width : (layout.widths[k] ?? fitted[k]));
  const template = cols.map((k) => (k === 'payload' ? `minmax(${width(k)}px, 1fr)` : `${width(k)}px`)).join(' ');
  const minWidth = cols.reduce((a, k) => a + width(k), 0);

  /** Moves the virtual offset and the physical scrollbar with it. */
  const setVirtual = useCallback((v: number) => {
    const s = spaceRef.current;
    const next = clampOffset(s, viewportRef.current, v);
    vOffset.current = next;
    const el = scrollRef.current;
    const phys = toPhysical(s, next);
    if (el && Math.abs(el.scrollTop - phys) >= 1) {
      ignoreScroll.current = true;
      el.scrollTop = phys;
    }
    notify.current?.(next, false);
    rerender();
  }, []);

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
    observeElementRect,
    observeElementOffset: (_instance, cb) => {
      notify.current = cb;
      cb(vOffset.current, false);
      return () => {
        notify.current = null;
      };
    },
    scrollToFn: (offset) => setVirtual(offset),
  });

  // Physical scrolling (thumb drags, clicks in the track) maps proportionally onto the list.
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const onScroll = () => {
      if (ignoreScroll.current) {
        ignoreScroll.current = false;
        return;
      }
      const before = vOffset.current;
      vOffset.current = clampOffset(spaceRef.current, viewportRef.current, toVirtual(spaceRef.current, el.scrollTop));
      // Scrolled back by the user, not pulled up by the browser as the list's viewport grew at its end (a taller window, a panel above that loaded).
      const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 1;
      if (vOffset.current < before && !atEnd) store.getState().pauseFollow();
      notify.current?.(vOffset.current, true);
      rerender();
    };
    // The wheel moves the virtual list by its own pixels: row by row, whatever the scale.
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const unit = e.deltaMode === 1 ? ROW_HEIGHT : e.deltaMode === 2 ? viewportRef.current : 1;
      if (e.deltaX) el.scrollLeft += e.deltaX * unit;
      if (e.deltaY < 0) store.getState().pauseFollow();
      if (e.deltaY) setVirtual(vOffset.current + e.deltaY * unit);
    };
    const resize = new ResizeObserver(() => setViewport(Math.max(ROW_HEIGHT, el.clientHeight - HEADER_HEIGHT)));
    resize.observe(el);
    el.addEventListener('scroll', onScroll, { passive: true });
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      resize.disconnect();
      el.removeEventListener('scroll', onScroll);
      el.removeEventListener('wheel', onWheel);
    };
  }, [setVirtual, store]);

  // A new ledger or filter starts at the top.
  useLayoutEffect(() => {
    vOffset.current = 0;
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
    notify.current?.(0, false);
  }, [rows]);

  // Keep the selection in view, however it moved (keys, clicks, go to offset) and when the window resizes.
  useEffect(() => {
    if (selected === null) return;
    const top = selected * ROW_HEIGHT;
    // Our own arithmetic, not scrollToIndex: the virtualizer would clamp to the element's (scaled) scrollHeight.
    if (top < vOffset.current || top + ROW_HEIGHT > vOffset.current + viewportRef.current) setVirtual(top - (viewportRef.current - ROW_HEIGHT) / 2);
  }, [selected, setVirtual, viewport]);

  const choose = useCallback(
    (p: number) => {
      const s = store.getState();
      if (p < s.total - 1) s.pauseFollow();
      select(p);
    },
    [select, store],
  );

  const onMenu = useCallback(
    (m: React.MouseEvent | React.KeyboardEvent, position: number, e: LedgerEvent) => {
      m.preventDefault();
      choose(position);
      const box = (m.currentTarget as HTMLElement).getBoundingClientRect();
      const x = 'clientX' in m ? m.clientX : box.left + 40;
      const y = 'clientY' in m ? m.clientY : box.bottom;
      const k = (m.target as HTMLElement).closest<HTMLElement>('[data-column]')?.dataset.column as ColumnKey | undefined;
      const value = k && k !== 'payload' ? { label: COLUMN[k].label.toLowerCase(), text: COLUMN[k].text(e) } : undefined;
      store.getState().openMenu(eventMenu(store, e, x, y, value));
    },
    [choose, store],
  );

  const pageRows = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
  const onKeyDown = (e: React.KeyboardEvent) => {
    const cur = selected ?? 0;
    if ((e.key === 'ContextMenu' || (e.shiftKey && e.key === 'F10')) && selected !== null) {
      const ev = rows?.get(selected);
      const el = document.getElementById(`event-row-${selected}`);
      if (ev && el) {
        const box = el.getBoundingClientRect();
        e.preventDefault();
        store.getState().openMenu(eventMenu(store, ev, box.left + 40, box.bottom));
      }
      return;
    }
    const plain = !e.altKey && !e.metaKey && !e.ctrlKey;
    if (plain && e.key.toLowerCase() === 'b' && selected !== null) {
      const ev = rows?.get(selected);
      if (ev) store.getState().toggleBookmark(ev.offset);
      e.preventDefault();
      return;
    }
    if (plain && (e.key === ']' || e.key === '[')) {
      e.preventDefault();
      void store.getState().nextBookmark(e.key === ']' ? 1 : -1);
      return;
    }
    if (e.key === 'End' && !e.altKey && !e.metaKey && !e.ctrlKey) {
      e.preventDefault();
      void store.getState().selectLast();
      return;
    }
    const move: Record<string, number> = { ArrowDown: cur + 1, ArrowUp: cur - 1, PageDown: cur + pageRows, PageUp: cur - pageRows, Home: 0 };
    if (e.key in move && !e.altKey && !e.metaKey && !e.ctrlKey) {
      e.preventDefault();
      choose(Math.max(0, Math.min(total - 1, move[e.key]!)));
    }
  };

  const startResize = (k: ColumnKey) => (e: React.MouseEvent) => {
    e.preventDefault();
    e.stopPropagation();
    const x0 = e.clientX;
    const w0 = width(k);
    let w = w0;
    const onMove = (m: MouseEvent) => {
      w = Math.max(COLUMN[k].min / 2, w0 + m.clientX - x0);
      setDragWidth({ key: k, width: w });
    };
    const onUp = () => {
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('mouseup', onUp);
      setDragWidth(null);
      const l = store.getState().columns;
      if (w !== w0) store.getState().setColumns({ ...l, widths: { ...l.widths, [k]: Math.round(w) } });
    };
    window.addEventListener('mousemove', onMove);
    window.addEventListener('mouseup', onUp);
  };
  const items = virtualizer.getVirtualItems();
  // Every row about to show is asked for at once, before the rows ask one window each.
  if (items.length) rows?.ensure(items[0]!.index, items.at(-1)!.index);
  const active = selected !== null && items.some((i) => i.index === selected) ? `event-row-${selected}` : undefined;
  return (
    <section className={`event-list${updating ? ' updating' : ''}`} style={{ '--columns': template } as React.CSSProperties} aria-busy={updating}>
      <div
        className="list-scroll"
        ref={scrollRef}
        tabIndex={0}
        onKeyDown={onKeyDown}
        role="grid"
        aria-label="Events"
        aria-rowcount={total + 1}
        aria-colcount={cols.length}
        aria-activedescendant={active}
        aria-readonly
        data-testid="event-list"
      >
        <div className="list-header" role="row" aria-rowindex={1} style={{ minWidth }}>
          {cols.map((k) => (
            <span key={k} role="columnheader" className={`h-${k}`} data-column={k}>
              {COLUMN[k].label}
              <i className="resize" onMouseDown={startResize(k)} aria-hidden="true" />
            </span>
          ))}
        </div>
        <div role="presentation" style={{ height: Math.max(space.physical, viewport), position: 'relative', minWidth }}>
          <div role="presentation" className="list-viewport" style={{ height: viewport }}>
            {total === 0 && !updating && (
              <p className="list-empty" role="status" data-testid="list-empty">
                {filtered ? 'No events match these filters.' : 'This ledger has no events yet.'}
              </p>
            )}
            {items.map((item) => (
              <Row
                key={item.index}
                position={item.index}
                top={item.start - vOffset.current}
                event={rows?.get(item.index)}
                selected={item.index === selected}
                marked={(() => {
                  const o = rows?.get(item.index)?.offset;
                  return o !== undefined && marked.has(o);
                })()}
                cols={cols}
                needle={needle}
                rules={rules}
                onSelect={choose}
                onMenu={onMenu}
              />
            ))}
          </div>
        </div>
      </div>
    </section>
  );
}
