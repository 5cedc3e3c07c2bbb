// The mapping editor: which table holds the events, which column plays each role,
// the time format, and the ledger's own projection rules beside them, with a live
// preview of the first rows and of the runs the mapping gives.
import { useStore } from 'zustand';
import { TIME_FORMATS } from '../../shared/ledger.ts';
import { REQUIRED, ROLES, type MappingStore, type Role } from '../lib/mapping-store.ts';
import { Modal } from './Modal.tsx';
import './MappingEditor.css';

const ROLE_HELP: Record<Role, string> = {
  order: 'ledger order (an integer key)',
  run: 'which run an event belongs to',
  kind: 'what happened',
  time: 'when',
  payload: 'the event body',
  id: 'the event id',
  seq: 'position within its run',
  actor: 'who wrote it',
  session: 'session',
  model: 'model',
  node: 'node or step id',
};

const FORMAT_LABEL: Record<(typeof TIME_FORMATS)[number], string> = {
  iso: 'ISO-8601 text',
  unix_s: 'unix seconds',
  unix_ms: 'unix milliseconds',
  sqlite: "SQLite 'YYYY-MM-DD HH:MM:SS'",
};

const RULES_HINT = '{"kinds": [{"match": "Payment*", "entity": "node"}, {"match": "/Order(Placed|Shipped)/", "entity": "run", "transition": "running"}], "node": "$.stage"}';

export function MappingEditor({ mapping }: { mapping: MappingStore }) {
  const path = useStore(mapping, (s) => s.path);
  const rulesOnly = useStore(mapping, (s) => s.rulesOnly);
  const tables = useStore(mapping, (s) => s.tables);
  const draft = useStore(mapping, (s) => s.draft);
  const rulesText = useStore(mapping, (s) => s.rulesText);
  const preview = useStore(mapping, (s) => s.preview);
  const problem = useStore(mapping, (s) => s.problem);
  const saving = useStore(mapping, (s) => s.saving);
  if (!path) return null;
  const st = mapping.getState();
  const table = tables.find((t) => t.table === draft?.table);
  const columns = table?.columns ?? [];
  const value = (role: Role) => (draft as Record<string, string | undefined> | null)?.[role] ?? '';
  return (
    <Modal
      label={rulesOnly ? 'Rules' : 'Map columns'}
      className="mapping-editor"
      testid="mapping-editor"
      closable={!saving}
      onClose={() => st.close()}
      onSubmit={(e) => {
        e.preventDefault();
        void st.save();
      }}
    >
        <h2>
          {rulesOnly ? 'The rules of' : 'Map the columns of'} {path}
        </h2>
        {!rulesOnly && (
          <div className="mapping-grid">
            <label>
              Table
              <select value={draft?.table ?? ''} onChange={(e) => st.setTable(e.target.value)} data-testid="mapping-table" autoFocus>
                {tables.map((t) => (
                  <option key={t.table} value={t.table}>
                    {t.table} ({t.columns.length} columns{t.mapping ? `, looks like events: ${Math.round(t.score * 100)}%` : ''})
                  </option>
                ))}
              </select>
            </label>
            {ROLES.map((role) => (
              <label key={role} title={ROLE_HELP[role]}>
                {role}
                {REQUIRED.has(role) ? ' *' : ''}
                <select value={value(role)} onChange={(e) => st.setRole(role, e.target.value || null)} data-testid={`mapping-role-${role}`} disabled={!draft}>
                  {!REQUIRED.has(role) && <option value="">(none)</option>}
                  {role === 'order' && !table?.columns.includes('rowid') && <option value="rowid">rowid</option>}
                  {columns.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              </label>
            ))}
            {draft?.time && (
              <label>
                time format
                <select value={draft.time_format ?? 'iso'} onChange={(e) => st.setTimeFormat(e.target.value as (typeof TIME_FORMATS)[number])} data-testid="mapping-time-format">
                  {TIME_FORMATS.map((f) => (
                    <option key={f} value={f}>
                      {FORMAT_LABEL[f]}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
        )}
        <label className="rules">
          The ledger&apos;s own rules (JSON, optional): kind patterns tried before the word tables, and where node ids live
          <textarea value={rulesText} onChange={(e) => st.setRulesText(e.target.value)} placeholder={RULES_HINT} rows={4} spellCheck={false} data-testid="mapping-rules" autoFocus={rulesOnly} />
        </label>
        <div className="mapping-problem" role="status" data-testid="mapping-problem">
          {problem}
        </div>
        {preview && (
          <div className="mapping-preview">
            <table data-testid="mapping-preview-rows">
              <caption>First rows</caption>
              <thead>
                <tr>
                  <th>offset</th>
                  <th>run</th>
                  <th>kind</th>
                  <th>time</th>
                  <th>payload</th>
                </tr>
              </thead>
              <tbody>
                {preview.events.map((e) => (
                  <tr key={e.offset}>
                    <td>{e.offset}</td>
                    <td>{e.run_id}</td>
                    <td>{e.kind}</td>
                    <td>{e.time}</td>
                    <td className="payload">{e.payload}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <table data-testid="mapping-preview-runs">
              <caption>Runs they give</caption>
              <thead>
                <tr>
                  <th>run</th>
                  <th>status</th>
                  <th>events</th>
                </tr>
              </thead>
              <tbody>
                {preview.runs.slice(0, 50).map((r) => (
                  <tr key={r.run_id} className={`status-${r.status}`}>
                    <td>{r.run_id}</td>
                    <td>
                      {r.status}
                      {r.status_derived ? '*' : ''}
                    </td>
                    <td>{r.event_count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div className="modal-actions">
          <button type="button" disabled={saving} onClick={() => st.close()}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={saving || (!draft && !rulesOnly) || !preview} data-testid="mapping-save">
            {saving ? 'Saving…' : 'Save and open'}
          </button>
        </div>
    </Modal>
  );
}
