// The attempts of a run's nodes on one time axis: a row per node, a bar per attempt,
// retries side by side, failures in red, a tooltip per attempt. d3-scale places the
// time axis and its ticks (uPlot draws to a canvas and keeps its tick choice inside;
// here every bar is an element that is hovered, focused and clicked).
import { scaleUtc, type ScaleTime } from 'd3-scale';
import { useLayoutEffect, useRef, useState } from 'react';
import { formatMs } from '../../shared/format.ts';
import type { NodeRunProjection } from '../../shared/projection.ts';
import { fitText, textWidth } from '../lib/fit-text.ts';

const ROW = 18;
const AXIS = 20;
const PAD_RIGHT = 8;
// The narrowest bar: wide enough to see its colour, and to point at.
const MIN_BAR = 3;

/** A tick's label, as precise as the step between ticks needs (times are UTC, as the list shows them). */
function tickLabel(t: Date, step: number): string {
  const iso = t.toISOString();
  if (step >= 86_400_000) return iso.slice(5, 10);
  if (step >= 60_000) return iso.slice(11, 16);
  if (step >= 1000) return iso.slice(11, 19);
  return iso.slice(14, 23);
}

interface Tick {
  time: number;
  x: number;
  label: string;
}

/**
 * The scale and ticks for times t0..t1 drawn from x0 to x1 in a drawing `box` wide: the
 * most ticks (two at least) whose labels fit side by side with a gap and inside the
 * drawing. Where the run's own span gives fewer than two, it is widened to whole steps.
 */
function timeAxis(t0: number, t1: number, x0: number, x1: number, box: number, font: string): { x: ScaleTime<number, number>; ticks: Tick[] } {
  const most = Math.max(2, Math.floor((x1 - x0) / 40));
  const counts = Array.from({ length: most }, (_, i) => most - i);
  const tries = [...counts.map((c) => [c, false] as const), ...counts.map((c) => [c, true] as const)];
  let fallback: { x: ScaleTime<number, number>; ticks: Tick[] } | null = null;
  for (const [count, widen] of tries) {
    const x = scaleUtc().domain([t0, t1]).range([x0, x1]);
    if (widen) x.nice(count);
    const dates = x.ticks(count);
    const step = dates.length > 1 ? dates[1]!.getTime() - dates[0]!.getTime() : t1 - t0;
    const all = dates.map((t) => {
      const label = tickLabel(t, step);
      return { time: t.getTime(), x: x(t), label, w: textWidth(label, font) };
    });
    const inside = all.filter((t) => t.x - t.w / 2 >= 0 && t.x + t.w / 2 <= box);
    const fits = inside.every((t, i) => i === 0 || inside[i - 1]!.x + (inside[i - 1]!.w + t.w) / 2 + 10 <= t.x);
    const result = { x, ticks: inside.map(({ time, x: px, label }) => ({ time, x: px, label })) };
    if (fits && inside.length >= 2) return result;
    if (fits && (!fallback || inside.length > fallback.ticks.length)) fallback = result;
  }
  return fallback ?? { x: scaleUtc().domain([t0, t1]).range([x0, x1]), ticks: [] };
}

const statusText = (nr: NodeRunProjection) => `${nr.status}${nr.retried ? ' (retried)' : ''}`;
const durationText = (nr: NodeRunProjection) => (nr.duration_ms !== null ? formatMs(nr.duration_ms) : nr.ended_at ? '' : 'not ended');
/** One line per attempt for screen readers, and the tooltip's lines. */
const describe = (nr: NodeRunProjection) => [
  `${nr.node_id}, attempt ${nr.attempt}`,
  `status ${statusText(nr)}`,
  `start ${nr.started_at ? nr.started_at.replace('T', ' ').replace('Z', '') : 'unknown'}`,
  `duration ${durationText(nr)}`,
  ...(nr.error ? [`error ${nr.error}`] : []),
];

export function Gantt({ nodes, changed, onPick }: { nodes: NodeRunProjection[]; changed?: Set<string>; onPick?: (nr: NodeRunProjection) => void }) {
  // Drawn at the panel's own pixel width, so labels keep their size however wide the panel is.
  const [box, setBox] = useState(0);
  const [font, setFont] = useState('11px monospace');
  const [tip, setTip] = useState<{ nr: NodeRunProjection; x: number; y: number } | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const times = nodes.flatMap((nr) => [nr.started_at, nr.ended_at].filter(Boolean).map((t) => Date.parse(t!)));
  const drawn = times.length > 0;
  // Measured before the first paint, so the timeline never shows undrawn.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setFont(`11px ${getComputedStyle(el).fontFamily}`);
    const measure = () => setBox(Math.max(160, el.clientWidth));
    measure();
    const obs = new ResizeObserver(measure);
    obs.observe(el);
    return () => obs.disconnect();
  }, [drawn]);
  if (!drawn) return null;
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const ids = [...new Set(nodes.map((nr) => nr.node_id))];
  const left = Math.round(Math.min(160, Math.max(56, box * 0.28)));
  const { x, ticks } = timeAxis(t0, t1, left, box - PAD_RIGHT, box, font);
  const rowsHeight = ids.length * ROW + 6;
  const height = rowsHeight + AXIS;
  const statuses = new Set(nodes.map((nr) => nr.status));
  const nextFree = new Map<string, number>();
  const anyRetried = nodes.some((nr) => nr.retried);
  const show = (nr: NodeRunProjection, e: { clientX: number; clientY: number } | null, bar: SVGRectElement) => {
    const wrap = ref.current!.getBoundingClientRect();
    const b = bar.getBoundingClientRect();
    setTip({ nr, x: (e ? e.clientX : b.left + b.width / 2) - wrap.left, y: b.bottom - wrap.top + 4 });
  };
  return (
    <div className="gantt-wrap" ref={ref}>
      {box > 0 && <svg className="gantt" width="100%" height={height} viewBox={`0 0 ${box || 1} ${height}`} data-testid="gantt" role="group" aria-label={`Timeline of ${nodes.length} node attempts over ${ids.length} nodes`}>
        <g className="g-axis" data-testid="gantt-axis">
          {ticks.map((t) => (
            <g key={t.time} className="g-tick" data-time={t.time} transform={`translate(${t.x},0)`}>
              <line y1={0} y2={rowsHeight} />
              <text y={rowsHeight + 13} textAnchor="middle">
                {t.label}
              </text>
            </g>
          ))}
          <text className="g-zone" x={0} y={rowsHeight + 13}>
            UTC
          </text>
        </g>
        {ids.map((id, i) => (
          <text key={id} x={0} y={i * ROW + 13} className="g-label" data-node={id}>
            {fitText(id, left - 8, font)}
            <title>{id}</title>
          </text>
        ))}
        {nodes.map((nr) => {
          const s = nr.started_at ? Date.parse(nr.started_at) : t0;
          const e = nr.ended_at ? Date.parse(nr.ended_at) : t1;
          // A node's attempts follow each other: one too short to tell from the next at this scale
          // (a failed try, then its retry) is moved along to the pixel after it, never drawn under it.
          const bx = Math.max(x(s), nextFree.get(nr.node_id) ?? -Infinity);
          const w = Math.max(MIN_BAR, x(e) - bx);
          nextFree.set(nr.node_id, bx + w + 1);
          const y = ids.indexOf(nr.node_id) * ROW + 3;
          const lines = describe(nr);
          return (
            <g key={nr.node_run_id}>
              <rect
                x={bx}
                y={y}
                width={w}
                height={ROW - 6}
                rx={2}
                className={`g-bar s-${nr.status}${nr.retried ? ' retried' : ''}${changed?.has(nr.node_run_id) ? ' changed' : ''}`}
                onClick={onPick && (() => onPick(nr))}
                onKeyDown={onPick && ((ev) => (ev.key === 'Enter' || ev.key === ' ') && (ev.preventDefault(), onPick(nr)))}
                onPointerEnter={(ev) => show(nr, ev, ev.currentTarget)}
                onPointerLeave={() => setTip(null)}
                onFocus={(ev) => show(nr, null, ev.currentTarget)}
                onBlur={() => setTip(null)}
                tabIndex={onPick ? 0 : undefined}
                role={onPick ? 'button' : undefined}
                aria-label={`${lines.join('; ')}${onPick ? '; go to its first event' : ''}`}
                data-node-run={nr.node_run_id}
              />
              {nr.attempt > 1 && w >= 20 && (
                <text x={bx + 2} y={y + 10} className="g-attempt" aria-hidden="true">
                  #{nr.attempt}
                </text>
              )}
            </g>
          );
        })}
      </svg>}
      <p className="g-legend" aria-hidden="true">
        {[...statuses].map((s) => (
          <span key={s}>
            <i className={`g-swatch s-${s}`} />
            {s}
          </span>
        ))}
        {anyRetried && (
          <span>
            <i className="g-swatch retried" />
            retried
          </span>
        )}
      </p>
      {tip && (
        <div className="g-tooltip" role="tooltip" data-testid="gantt-tooltip" style={{ left: Math.max(0, Math.min(tip.x - 90, box - 200)), top: tip.y }}>
          {describe(tip.nr).map((l, i) => (
            <div key={i} className={i === 0 ? 'g-tip-head' : undefined}>
              {l}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
