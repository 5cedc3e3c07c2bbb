// The right-click menu of rows and of the detail pane: one at a time, keyboard
// driven (arrows, Home/End, Enter, Escape), closed by a click outside; focus goes
// back where it was.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useApp } from '../lib/use-app.tsx';

export interface MenuItem {
  label: string;
  run: () => void | Promise<void>;
}
export interface MenuSpec {
  x: number;
  y: number;
  label: string;
  items: MenuItem[];
}

export function ContextMenu() {
  const spec = useApp((s) => s.contextMenu);
  const close = useApp((s) => s.closeMenu);
  const ref = useRef<HTMLDivElement>(null);
  const back = useRef<Element | null>(null);
  const [pos, setPos] = useState({ x: 0, y: 0 });
  const [active, setActive] = useState(0);

  useLayoutEffect(() => {
    if (!spec) return;
    back.current = document.activeElement;
    setActive(0);
    // Kept inside the window.
    const el = ref.current!;
    const { width, height } = el.getBoundingClientRect();
    setPos({ x: Math.max(0, Math.min(spec.x, window.innerWidth - width - 4)), y: Math.max(0, Math.min(spec.y, window.innerHeight - height - 4)) });
    el.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, [spec]);

  useEffect(() => {
    if (!spec) return;
    const outside = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) close();
    };
    window.addEventListener('mousedown', outside, true);
    window.addEventListener('blur', close);
    return () => {
      window.removeEventListener('mousedown', outside, true);
      window.removeEventListener('blur', close);
    };
  }, [spec, close]);

  if (!spec) return null;
  const finish = () => {
    close();
    (back.current as HTMLElement | null)?.focus?.();
  };
  const focusItem = (i: number) => {
    const n = spec.items.length;
    const k = (i + n) % n;
    setActive(k);
    ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]')[k]?.focus();
  };
  const onKey = (e: React.KeyboardEvent) => {
    const moves: Record<string, number> = { ArrowDown: active + 1, ArrowUp: active - 1, Home: 0, End: spec.items.length - 1 };
    if (e.key in moves) focusItem(moves[e.key]!);
    else if (e.key === 'Escape' || e.key === 'Tab') finish();
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  return (
    <div className="context-menu" role="menu" aria-label={spec.label} ref={ref} style={{ left: pos.x, top: pos.y }} onKeyDown={onKey} data-testid="context-menu">
      {spec.items.map((item, i) => (
        <button
          key={item.label}
          role="menuitem"
          tabIndex={i === active ? 0 : -1}
          onClick={() => {
            finish();
            void item.run();
          }}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
