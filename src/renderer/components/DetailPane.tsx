// The selected event in full: every column, and the payload as a collapsible JSON tree.
import { useState } from 'react';
import { allExpanded, collapseAllNested, darkStyles, defaultStyles, JsonView } from 'react-json-view-lite';
import 'react-json-view-lite/dist/index.css';
import { useStore } from 'zustand';
import type { AppStore } from '../lib/store.ts';
import { useLedgerRules } from '../lib/ledger-rules.ts';
import { copyText } from '../lib/shell.ts';
import { kindHue, statusClass } from './EventList.tsx';

function parse(payload: string): { value: unknown; ok: boolean } {
  try {
    return { value: JSON.parse(payload), ok: true };
  } catch {
    return { value: payload, ok: false };
  }
}

export function DetailPane({ store, dark }: { store: AppStore; dark: boolean }) {
  const e = useStore(store, (s) => s.detail);
  const rules = useLedgerRules(store);
  const [expanded, setExpanded] = useState(true);
  const [copied, setCopied] = useState<'Copied' | 'Copy failed' | null>(null);
  if (!e) return <aside className="detail empty">Select an event to see it in full.</aside>;
  const payload = parse(e.payload);
  const copy = async () => {
    const ok = await copyText(JSON.stringify({ ...e, payload: payload.value }, null, 2)).then(() => true, () => false);
    setCopied(ok ? 'Copied' : 'Copy failed');
    setTimeout(() => setCopied(null), 1200);
  };
  const fields: Array<[string, unknown]> = [
    ['offset', e.offset],
    ['id', e.id],
    ['run', e.run_id],
    ['seq', e.seq],
    ['kind', e.kind],
    ['actor', e.actor],
    ['time', e.time],
    ['session', e.session_id],
    ['model', e.model_id],
    ['node', e.node_id],
  ];
  return (
    <aside className="detail" data-testid="detail">
      <header>
        <span className={`kind-badge ${statusClass(e.kind, rules)}`} style={{ borderColor: `hsl(${kindHue(e.kind)} 65% 52%)` }}>
          {e.kind}
        </span>
        <span className="detail-offset">offset {e.offset}</span>
        <span className="spacer" />
        <button onClick={() => setExpanded((x) => !x)}>{expanded ? 'Collapse' : 'Expand'}</button>
        <button onClick={copy}>{copied ?? 'Copy as JSON'}</button>
      </header>
      <table className="fields">
        <tbody>
          {fields.map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{v === null || v === undefined ? <span className="null">—</span> : String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>payload</h3>
      <div className="json" data-testid="payload">
        {payload.ok && typeof payload.value === 'object' && payload.value !== null ? (
          <JsonView key={String(expanded) + e.offset} data={payload.value as object} shouldExpandNode={expanded ? allExpanded : collapseAllNested} style={dark ? darkStyles : defaultStyles} />
        ) : (
          <pre>{e.payload}</pre>
        )}
      </div>
    </aside>
  );
}
