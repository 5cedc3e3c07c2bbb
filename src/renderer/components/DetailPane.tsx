// The selected event in full: every column, and the payload as a collapsible tree
// that shows the stored text (numbers exactly as written). Copy copies the event
// with its payload as stored; right-click offers values and filters.
import { useMemo, useState } from 'react';
import { useApp, useAppStore } from '../lib/use-app.tsx';
import { nodeIdFromText } from '../../shared/projection.ts';
import { eventJson, eventMenu } from '../lib/event-menu.ts';
import { parseLossless } from '../lib/json-source.ts';
import { kindColor, statusClass } from '../lib/kinds.ts';
import { useLedgerRules } from '../lib/ledger-rules.ts';
import { copyText } from '../lib/shell.ts';
import { JsonTree } from './JsonTree.tsx';

export function DetailPane() {
  const store = useAppStore();
  const e = useApp((s) => s.detail);
  const needle = useApp((s) => s.query.text);
  const bookmarks = useApp((s) => s.bookmarks);
  const rules = useLedgerRules();
  const [expanded, setExpanded] = useState(true);
  const [copied, setCopied] = useState<'Copied' | 'Copy failed' | null>(null);
  const tree = useMemo(() => (e ? parseLossless(e.payload) : null), [e]);
  if (!e) return <aside className="detail empty">Select an event to see it in full.</aside>;
  const copy = async () => {
    const ok = await copyText(eventJson(e)).then(
      () => true,
      () => false,
    );
    setCopied(ok ? 'Copied' : 'Copy failed');
    setTimeout(() => setCopied(null), 1200);
  };
  const menuAt = (m: React.MouseEvent | React.KeyboardEvent, value?: { label: string; text: string }) => {
    const box = (m.currentTarget as HTMLElement).getBoundingClientRect();
    const x = 'clientX' in m ? m.clientX : box.left + 20;
    const y = 'clientY' in m ? m.clientY : box.bottom;
    store.getState().openMenu(eventMenu(store, e, x, y, value));
  };
  const fields: Array<[string, string | number | null]> = [
    ['offset', e.offset],
    ['id', e.id],
    ['run', e.run_id],
    ['seq', e.seq],
    ['kind', e.kind],
    ['actor', e.actor],
    ['time', e.time],
    ['session', e.session_id],
    ['model', e.model_id],
    ['node', nodeIdFromText(e.payload, e.node_id)],
  ];
  return (
    <aside
      className="detail"
      data-testid="detail"
      aria-label="Selected event"
      onContextMenu={(m) => {
        m.preventDefault();
        menuAt(m);
      }}
    >
      <header>
        <span className={`kind-badge ${statusClass(e.kind, rules)}`} style={{ borderColor: kindColor(e.kind, rules) }}>
          {e.kind}
        </span>
        <span className="detail-offset">offset {e.offset}</span>
        <span className="spacer" />
        <button onClick={() => store.getState().toggleBookmark(e.offset)} aria-pressed={bookmarks.includes(e.offset)} data-testid="bookmark-toggle" title="Bookmark this event (B in the list)">
          {bookmarks.includes(e.offset) ? '★ Marked' : '☆ Mark'}
        </button>
        <button onClick={() => setExpanded((x) => !x)}>{expanded ? 'Collapse' : 'Expand'}</button>
        <button onClick={copy} data-testid="copy-event" title="The event as JSON, its payload exactly as stored">
          {copied ?? 'Copy as JSON'}
        </button>
      </header>
      <table className="fields">
        <tbody>
          {fields.map(([k, v]) => (
            <tr
              key={k}
              onContextMenu={(m) => {
                if (v === null) return;
                m.preventDefault();
                m.stopPropagation();
                menuAt(m, { label: k, text: String(v) });
              }}
            >
              <th scope="row">{k}</th>
              <td>{v === null || v === undefined ? <span className="null">—</span> : String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>payload</h3>
      <div className="json" data-testid="payload">
        {tree && (tree.type === 'object' || tree.type === 'array') ? (
          <JsonTree
            key={String(expanded) + e.offset}
            node={tree}
            expanded={expanded}
            needle={needle}
            label={`Payload of event ${e.offset}`}
            onMenu={(m, text, name) => {
              m.preventDefault();
              menuAt(m, { label: name === undefined ? 'payload' : `value of ${name}`, text });
            }}
          />
        ) : (
          <pre>{e.payload}</pre>
        )}
      </div>
    </aside>
  );
}
