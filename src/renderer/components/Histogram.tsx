// Events over time for the current filter. Drag across it to filter to that time
// range (which zooms it, since it spans the filtered events); double-click to let go.
import { useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { AppStore } from '../lib/store.ts';

const HEIGHT = 56;

export function Histogram({ store }: { store: AppStore }) {
  const h = useStore(store, (s) => s.histogram);
  const query = useStore(store, (s) => s.query);
  const setQuery = useStore(store, (s) => s.setQuery);
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ a: number; b: number } | null>(null);
  if (!h || !h.from || !h.counts.length) return <div className="histogram empty" />;
  const max = Math.max(1, ...h.counts);
  const w = 1000;
  const bw = w / h.counts.length;
  const from = Date.parse(h.from);
  const frac = (e: React.MouseEvent) => {
    const r = svg.current!.getBoundingClientRect();
    return Math.max(0, Math.min(1, (e.clientX - r.left) / r.width));
  };
  const finish = () => {
    if (!drag) return;
    const [a, b] = [Math.min(drag.a, drag.b), Math.max(drag.a, drag.b)];
    setDrag(null);
    if (b - a < 0.005) return;
    const span = h.counts.length * h.bucket_ms;
    void setQuery({ ...query, time_from: new Date(from + a * span).toISOString(), time_to: new Date(from + b * span).toISOString() });
  };
  return (
    <div className="histogram" data-testid="histogram" title={`${h.from} → ${h.to}; drag to choose a time range, double-click to clear it`}>
      <span className="h-label">{h.from.replace('T', ' ').slice(0, 19)}</span>
      <svg
        ref={svg}
        viewBox={`0 0 ${w} ${HEIGHT}`}
        preserveAspectRatio="none"
        onMouseDown={(e) => setDrag({ a: frac(e), b: frac(e) })}
        onMouseMove={(e) => drag && setDrag({ ...drag, b: frac(e) })}
        onMouseUp={finish}
        onMouseLeave={finish}
        onDoubleClick={() => (query.time_from || query.time_to) && void setQuery({ ...query, time_from: undefined, time_to: undefined })}
      >
        {h.counts.map((c, i) =>
          c ? <rect key={i} x={i * bw + 0.5} y={HEIGHT - (c / max) * (HEIGHT - 4)} width={Math.max(1, bw - 1)} height={(c / max) * (HEIGHT - 4)} className="bar" /> : null,
        )}
        {drag && <rect className="brush" x={Math.min(drag.a, drag.b) * w} y={0} width={Math.abs(drag.b - drag.a) * w} height={HEIGHT} />}
      </svg>
      <span className="h-label">{h.to?.replace('T', ' ').slice(0, 19)}</span>
    </div>
  );
}
