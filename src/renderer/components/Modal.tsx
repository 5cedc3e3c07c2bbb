// A modal dialog: focus moves in and stays in (Tab wraps), Escape closes it, a
// click on the backdrop closes it, and focus goes back where it was.
import { useEffect, useRef, useState } from 'react';

export function Modal(props: { label: string; onClose: () => void; closable?: boolean; className?: string; testid?: string; onSubmit?: (e: React.FormEvent) => void; children: React.ReactNode }) {
  const { label, onClose, closable = true, className, testid, onSubmit, children } = props;
  const ref = useRef<HTMLFormElement>(null);
  // Read while rendering, before autofocus moves focus into the dialog.
  const [back] = useState(() => document.activeElement as HTMLElement | null);
  useEffect(() => {
    const el = ref.current;
    if (el && !el.contains(document.activeElement)) el.querySelector<HTMLElement>('[autofocus], input, button')?.focus();
    return () => back?.focus?.();
  }, [back]);
  // Escape closes it wherever focus went (a button that was disabled while it ran drops focus).
  const latest = useRef({ closable, onClose });
  latest.current = { closable, onClose };
  useEffect(() => {
    const onEscape = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      if (latest.current.closable) latest.current.onClose();
    };
    window.addEventListener('keydown', onEscape, true);
    return () => window.removeEventListener('keydown', onEscape, true);
  }, []);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key !== 'Tab') return;
    const items = [...(ref.current?.querySelectorAll<HTMLElement>('input:not([disabled]), button:not([disabled]), select:not([disabled]), [tabindex="0"]') ?? [])];
    if (!items.length) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    <div className="modal-backdrop" onMouseDown={() => closable && onClose()}>
      <form
        ref={ref}
        className={`modal${className ? ` ${className}` : ''}`}
        onSubmit={onSubmit ?? ((e) => e.preventDefault())}
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={onKeyDown}
        role="dialog"
        aria-modal="true"
        aria-label={label}
        data-testid={testid}
      >
        {children}
      </form>
    </div>
  );
}
