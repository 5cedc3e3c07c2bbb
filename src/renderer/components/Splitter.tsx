// A draggable, keyboard-resizable border between panels (ARIA window splitter):
// dragging shows the new width at once and keeps it on release.
export function Splitter(props: { label: string; value: number; min: number; max: number; side: 'left' | 'right'; onChange: (width: number, save: boolean) => void }) {
  const { label, value, min, max, side, onChange } = props;
  const clamp = (w: number) => Math.round(Math.max(min, Math.min(max, w)));
  const sign = side === 'right' ? 1 : -1;
  const onMouseDown = (e: React.MouseEvent) => {
    e.preventDefault();
    const x0 = e.clientX;
    let w = value;
    const move = (m: MouseEvent) => {
      w = clamp(value + sign * (m.clientX - x0));
      onChange(w, false);
    };
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      onChange(w, true);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  };
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    e.stopPropagation();
    onChange(clamp(value + sign * (e.key === 'ArrowRight' ? 24 : -24)), true);
  };
  return (
    <div
      className={`splitter ${side}`}
      role="separator"
      aria-orientation="vertical"
      aria-label={label}
      aria-valuenow={value}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onMouseDown={onMouseDown}
      onKeyDown={onKeyDown}
    />
  );
}
