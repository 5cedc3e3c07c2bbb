// Ctrl/Cmd+G: jump to an offset.
import { useState } from 'react';
import { useApp } from '../lib/use-app.tsx';
import { Modal } from './Modal.tsx';

export function GotoDialog() {
  const setOpen = useApp((s) => s.setGotoOpen);
  const goTo = useApp((s) => s.goToOffset);
  const [value, setValue] = useState('');
  const offset = Number(value.replaceAll(/[,_\s]/g, ''));
  const valid = value.trim() !== '' && Number.isInteger(offset);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!valid) return;
    setOpen(false);
    await goTo(offset);
    document.querySelector<HTMLElement>('[data-testid="event-list"]')?.focus();
  };
  return (
    <Modal label="Go to offset" onClose={() => setOpen(false)} onSubmit={submit}>
        <label>
          Go to offset
          <input autoFocus inputMode="numeric" value={value} onChange={(e) => setValue(e.target.value)} data-testid="goto-input" />
        </label>
        <div className="modal-actions">
          <button type="button" onClick={() => setOpen(false)}>Cancel</button>
          <button type="submit" disabled={!valid}>Go</button>
        </div>
    </Modal>
  );
}
