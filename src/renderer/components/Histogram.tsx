// Events over time for the current filter, drawn by uPlot. Drag across it to filter
// to that time range (which zooms it, since it spans the filtered events);
// double-click to let go.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useApp } from '../lib/use-app.tsx';

const HEIGHT = 56;
// A drag shorter than this many pixels is a click, not a range.
const MIN_DRAG_PX = 4;

export function Histogram() {
  const h = useApp((s) => s.histogram);
  const loading = useApp((s) => s.histogramLoading);
  const query = useApp((s) => s.query);
  const setQuery = useApp((s) => s.setQuery);
  const box = useRef<HTMLDivElement>(null);
  // The chart is built once per histogram; its handlers read the latest query through this.
  const latest = useRef({ query, setQuery });
  latest.current = { query, setQuery };

  useEffect(() => {
    const el = box.current;
    if (!el || !h?.from || !h.counts.length) return;
    const from = Date.parse(h.from) / 1000;
    const step = h.bucket_ms / 1000;
    const xs = h.counts.map((_, i) => from + i * step);
    const accent = getComputedStyle(el).getPropertyValue('--accent').trim() || '#2f6feb';
    const plot = new uPlot(
      {
        width: el.clientWidth,
        height: HEIGHT,
        padding: [2, 0, 0, 0],
        legend: { show: false },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: true, auto: false, range: [from, from + h.counts.length * step] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        series: [{}, { paths: uPlot.paths.bars!({ align: 1, size: [1, Infinity, 1], gap: 1 }), fill: `${accent}b3`, stroke: accent, width: 0, points: { show: false } }],
        cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false }, y: false },
        hooks: {
          setSelect: [
            (u) => {
              const { left, width } = u.select;
              if (width < MIN_DRAG_PX) return;
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              const { query: q, setQuery: set } = latest.current;
              const time = (px: number) => new Date(u.posToVal(px, 'x') * 1000).toISOString();
              void set({ ...q, time_from: time(left), time_to: time(left + width) });
            },
          ],
        },
      },
      [xs, h.counts],
      el,
    );
    const clear = () => {
      const { query: q, setQuery: set } = latest.current;
      if (q.time_from || q.time_to) void set({ ...q, time_from: undefined, time_to: undefined });
    };
    plot.over.addEventListener('dblclick', clear);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [h]);

  if (!h || !h.from || !h.counts.length)
    return (
      <div className={`histogram ${loading ? 'loading' : 'empty'}`} data-testid="histogram-loading" aria-busy={loading}>
        {loading ? <span className="h-label">Counting events over time…</span> : null}
      </div>
    );
  return (
    <div className={`histogram${loading ? ' updating' : ''}`} aria-busy={loading} data-testid="histogram" title={`${h.from} → ${h.to}; drag to choose a time range, double-click to clear it`}>
      <span className="h-label">{h.from.replace('T', ' ').slice(0, 19)}</span>
      <div className="h-chart" ref={box} data-testid="histogram-chart" />
      <span className="h-label">{h.to?.replace('T', ' ').slice(0, 19)}</span>
    </div>
  );
}
