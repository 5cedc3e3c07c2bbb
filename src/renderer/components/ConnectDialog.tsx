// File > Connect to PostgreSQL… (and the toolbar's Connect…): a URL, the database's
// tables scored as event logs to choose from, and Connect.
import { useStore } from 'zustand';
import type { ConnectStore } from '../lib/connect-store.ts';
import { Modal } from './Modal.tsx';

export function ConnectDialog({ connect }: { connect: ConnectStore }) {
  const s = useStore(connect);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (s.busy) return;
    void (s.tables ? s.connect() : s.listTables());
  };
  return (
    <Modal label="Connect to PostgreSQL" onClose={s.hide} onSubmit={submit} testid="connect-dialog">
      <label>
        Database URL
        <input
          autoFocus
          spellCheck={false}
          placeholder="postgres://user@host:5432/database"
          value={s.url}
          onChange={(e) => s.setUrl(e.target.value)}
          data-testid="connect-url"
        />
      </label>
      <label>
        Password
        <input type="password" autoComplete="off" value={s.password} onChange={(e) => s.setPassword(e.target.value)} data-testid="connect-password" />
      </label>
      <p className="hint">Leave it empty to use PGPASSWORD or ~/.pgpass; it is never shown or saved in plain text.</p>
      {s.tables && (
        <fieldset className="connect-tables" data-testid="connect-tables">
          <legend>Table</legend>
          {s.tables.length === 0 && <p>No tables in this database.</p>}
          {s.tables.map((t) => (
            <label key={t.table} className="connect-table">
              <input type="radio" name="connect-table" checked={s.table === t.table} onChange={() => s.setTable(t.table)} />
              <span>{t.table}</span>
              <span className="hint">
                {t.confident ? 'the event log' : t.mapping ? `score ${t.score}` : `not an event log (no ${t.missing.join(', ')})`}
              </span>
            </label>
          ))}
        </fieldset>
      )}
      {s.error && (
        <p className="connect-error" role="alert" data-testid="connect-error">
          {s.error}
        </p>
      )}
      <div className="modal-actions">
        <button type="button" onClick={s.hide}>Cancel</button>
        {s.tables ? (
          <button type="submit" disabled={s.busy || !s.table} data-testid="connect-go">
            {s.busy ? 'Connecting…' : 'Connect'}
          </button>
        ) : (
          <button type="submit" disabled={s.busy || !s.url.trim()} data-testid="connect-list">
            {s.busy ? 'Listing…' : 'List tables'}
          </button>
        )}
      </div>
    </Modal>
  );
}
