// A payload as a collapsible tree whose leaves show the stored text: numbers as
// the ledger wrote them (lib/json-source.ts), search hits marked. Right-click (or
// the context-menu key) on a node offers to copy its value.
import { memo, useState } from 'react';
import { leafText, type JsonNode } from '../lib/json-source.ts';
import { splitHits } from '../lib/preview.ts';

export function Highlight({ text, needle }: { text: string; needle?: string }) {
  const parts = splitHits(text, needle);
  if (parts.length === 1 && !parts[0]!.hit) return <>{text}</>;
  return (
    <>
      {parts.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </>
  );
}

/** The JSON text of a node, numbers as stored. */
export function nodeText(n: JsonNode, indent = 2, depth = 0): string {
  const pad = (d: number) => (indent ? '\n' + ' '.repeat(indent * d) : '');
  if (n.type === 'object') {
    if (!n.entries.length) return '{}';
    return `{${n.entries.map(([k, v]) => `${pad(depth + 1)}${JSON.stringify(k)}:${indent ? ' ' : ''}${nodeText(v, indent, depth + 1)}`).join(',')}${pad(depth)}}`;
  }
  if (n.type === 'array') {
    if (!n.items.length) return '[]';
    return `[${n.items.map((v) => `${pad(depth + 1)}${nodeText(v, indent, depth + 1)}`).join(',')}${pad(depth)}]`;
  }
  return leafText(n);
}

interface TreeProps {
  node: JsonNode;
  name?: string;
  depth: number;
  expanded: boolean;
  needle?: string;
  onMenu?: (e: React.MouseEvent | React.KeyboardEvent, value: string, name: string | undefined) => void;
}

const Tree = memo(function Tree({ node, name, depth, expanded, needle, onMenu }: TreeProps) {
  const [open, setOpen] = useState(expanded || depth === 0);
  const label = name !== undefined && (
    <span className="j-key">
      <Highlight text={name} needle={needle} />:{' '}
    </span>
  );
  const menu = (e: React.MouseEvent) => {
    if (!onMenu) return;
    e.preventDefault();
    e.stopPropagation();
    onMenu(e, nodeText(node), name);
  };
  const keyMenu = (e: React.KeyboardEvent) => {
    if (onMenu && (e.key === 'ContextMenu' || (e.shiftKey && e.key === 'F10'))) {
      e.preventDefault();
      e.stopPropagation();
      onMenu(e, nodeText(node), name);
    }
  };
  if (node.type === 'object' || node.type === 'array') {
    const children: Array<[string | undefined, JsonNode]> = node.type === 'object' ? node.entries : node.items.map((v, i) => [String(i), v]);
    return (
      <li role="treeitem" aria-expanded={open} aria-selected={false} onContextMenu={menu}>
        <button type="button" className="j-toggle" onClick={() => setOpen((x) => !x)} onKeyDown={keyMenu} aria-label={`${open ? 'Collapse' : 'Expand'} ${name ?? 'payload'}`}>
          {open ? '▾' : '▸'}
        </button>
        {label}
        <span className="j-punct">{node.type === 'object' ? `{${open ? '' : `…} ${node.entries.length} keys`}` : `[${open ? '' : `…] ${node.items.length} items`}`}</span>
        {open && (
          <ul role="group">
            {children.map(([k, v], i) => (
              <Tree key={i} node={v} name={k} depth={depth + 1} expanded={expanded} needle={needle} onMenu={onMenu} />
            ))}
          </ul>
        )}
        {open && <span className="j-punct">{node.type === 'object' ? '}' : ']'}</span>}
      </li>
    );
  }
  return (
    <li role="treeitem" aria-selected={false} onContextMenu={menu} tabIndex={onMenu ? 0 : undefined} onKeyDown={keyMenu}>
      {label}
      <span className={`j-${node.type}`}>
        <Highlight text={leafText(node)} needle={needle} />
      </span>
    </li>
  );
});

export function JsonTree(props: { node: JsonNode; expanded: boolean; needle?: string; label: string; onMenu?: TreeProps['onMenu'] }) {
  return (
    <ul className="json-tree" role="tree" aria-label={props.label}>
      <Tree node={props.node} depth={0} expanded={props.expanded} needle={props.needle} onMenu={props.onMenu} />
    </ul>
  );
}
