// The event list: every event of the ledger in one virtualized list. The scroll
// space is scaled past the browser's element-height cap (see lib/scroll.ts); rows
// come from the window cache, so only what is on screen is ever held.
import { observeElementRect, useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { LedgerEvent } from '../../shared/ledger.ts';
import { DEFAULT_RULES, type Rules } from '../../shared/projection.ts';
import { useLedgerRules } from '../lib/ledger-rules.ts';
import { clampOffset, scrollSpace, toPhysical, toVirtual } from '../lib/scroll.ts';
import type { AppStore } from '../lib/store.ts';

export const ROW_HEIGHT = 24;

const COLUMNS = [
  { key: 'offset', label: 'Offset', width: 90 },
  { key: 'time', label: 'Time', width: 200 },
  { key: 'run_id', label: 'Run', width: 170 },
  { key: 'seq', label: 'Seq', width: 64 },
  { key: 'kind', label: 'Kind', width: 160 },
  { key: 'actor', label: 'Actor', width: 100 },
  { key: 'payload', label: 'Payload', width: 0 },
] as const;

/** A stable hue per kind, so a kind has one colour everywhere. */
export function kindHue(kind: string): number {
  let h = 0;
  for (let i = 0; i < kind.length; i++) h = (h * 31 + kind.charCodeAt(i)) >>> 0;
  return h % 360;
}

export function statusClass(kind: string, rules: Rules = DEFAULT_RULES): string {
  const t = rules.read(kind).transition;
  return t === 'failed' ? 'failed' : t === 'retrying' || t === 'cancelled' ? 'warn' : '';
}

const formatTime = (t: string | null) => (t ? t.replace('T', ' ').replace(/Z$|[+-]\d\d:\d\d$/, '') : '');

const Row = memo(function Row(props: { event: LedgerEvent | undefined; position: number; top: number; selected: boolean; onSelect: (p: number) => void; rules: Rules }) {
  const { event: e, position, top, selected, onSelect, rules } = props;
  const cls = `row${selected ? ' selected' : ''}${e ? ` ${statusClass(e.kind, rules)}${e.archived ? ' archived' : ''}` : ' loading'}`;
  return (
    <div className={cls} style={{ transform: `translateY(${top}px)` }} onMouseDown={() => onSelect(position)} data-position={position} data-offset={e?.offset} role="row" aria-selected={selected}>
      {e ? (
        <>
          <span className="c-offset">{e.offset}</span>
          <span className="c-time" title={e.time ?? ''}>{formatTime(e.time)}</span>
          <span className="c-run" title={e.run_id}>{e.run_id}</span>
          <span className="c-seq">{e.seq ?? ''}</span>
          <span className="c-kind">
            <i className="kind-dot" style={{ background: `hsl(${kindHue(e.kind)} 65% 52%)` }} />
            {e.kind}
            {e.archived && <span className="archived-mark"> archived</span>}
          </span>
          <span className="c-actor">{e.actor ?? ''}</span>
          <span className="c-payload">{e.payload}</span>
        </>
      ) : (
        <span className="c-loading">…</span>
      )}
    </div>
  );
});

export function EventList({ store }: { store: AppStore }) {
  const total = useStore(store, (s) => s.total);
  useStore(store, (s) => s.rowsVersion);
  const selected = useStore(store, (s) => s.selected);
  const rows = useStore(store, (s) => s.rows);
  const select = useStore(store, (s) => s.select);
  const rules = useLedgerRules(store);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState(600);
  const [widths, setWidths] = useState<number[]>(COLUMNS.map((c) => c.width));
  const space = scrollSpace(total * ROW_HEIGHT, viewport);
  const spaceRef = useRef(space);
  spaceRef.current = space;
  const viewportRef = useRef(viewport);
  viewportRef.current = viewport;
  const vOffset = useRef(0);
  const notify = useRef<((offset: number, isScrolling: boolean) => void) | null>(null);
  const ignoreScroll = useRef(false);
  const [, rerender] = useReducer((x: number) => x + 1, 0);

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
    overscan: 12,
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
      vOffset.current = clampOffset(spaceRef.current, viewportRef.current, toVirtual(spaceRef.current, el.scrollTop));
      notify.current?.(vOffset.current, true);
      rerender();
    };
    // The wheel moves the virtual list by its own pixels: row by row, whatever the scale.
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const unit = e.deltaMode === 1 ? ROW_HEIGHT : e.deltaMode === 2 ? viewportRef.current : 1;
      setVirtual(vOffset.current + e.deltaY * unit);
    };
    const resize = new ResizeObserver(() => setViewport(el.clientHeight));
    resize.observe(el);
    el.addEventListener('scroll', onScroll, { passive: true });
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      resize.disconnect();
      el.removeEventListener('scroll', onScroll);
      el.removeEventListener('wheel', onWheel);
    };
  }, [setVirtual]);

  // A new ledger starts at the top.
  useLayoutEffect(() => {
    vOffset.current = 0;
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
    notify.current?.(0, false);
  }, [rows]);

  // Keep the selection in view, however it moved (keys, clicks, go to offset).
  useEffect(() => {
    if (selected === null) return;
    const top = selected * ROW_HEIGHT;
    // Our own arithmetic, not scrollToIndex: the virtualizer would clamp to the element's (scaled) scrollHeight.
    if (top < vOffset.current || top + ROW_HEIGHT > vOffset.current + viewportRef.current) setVirtual(top - (viewportRef.current - ROW_HEIGHT) / 2);
  }, [selected, setVirtual]);

  const pageRows = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
  const onKeyDown = (e: React.KeyboardEvent) => {
    const cur = selected ?? 0;
    const move: Record<string, number> = { ArrowDown: cur + 1, ArrowUp: cur - 1, PageDown: cur + pageRows, PageUp: cur - pageRows, Home: 0, End: total - 1 };
    if (e.key in move && !e.altKey && !e.metaKey && !e.ctrlKey) {
      e.preventDefault();
      select(Math.max(0, Math.min(total - 1, move[e.key]!)));
    }
  };

  const startResize = (i: number) => (e: React.MouseEvent) => {
    e.preventDefault();
    const x0 = e.clientX;
    const w0 = widths[i]!;
    const onMove = (m: MouseEvent) => setWidths((ws) => ws.map((w, j) => (j === i ? Math.max(40, w0 + m.clientX - x0) : w)));
    const onUp = () => {
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('mouseup', onUp);
    };
    window.addEventListener('mousemove', onMove);
    window.addEventListener('mouseup', onUp);
  };

  const template = widths.map((w, i) => (i === widths.length - 1 ? 'minmax(200px, 1fr)' : `${w}px`)).join(' ');
  return (
    <section className="event-list" style={{ '--columns': template } as React.CSSProperties} aria-label="Events">
      <div className="list-header" role="row">
        {COLUMNS.map((c, i) => (
          <span key={c.key} className={`h-${c.key}`}>
            {c.label}
            {i < COLUMNS.length - 1 && <i className="resize" onMouseDown={startResize(i)} />}
          </span>
        ))}
      </div>
      <div className="list-scroll" ref={scrollRef} tabIndex={0} onKeyDown={onKeyDown} role="grid" aria-rowcount={total} data-testid="event-list">
        <div style={{ height: Math.max(space.physical, viewport), position: 'relative' }}>
          <div className="list-viewport" style={{ height: viewport }}>
            {virtualizer.getVirtualItems().map((item) => (
              <Row
                key={item.index}
                position={item.index}
                top={item.start - vOffset.current}
                event={rows?.get(item.index)}
                selected={item.index === selected}
                onSelect={select}
                rules={rules}
              />
            ))}
          </div>
        </div>
      </div>
    </section>
  );
}
