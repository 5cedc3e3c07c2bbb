// A LangGraph replay step in the graph's own terms: at a checkpoint, the state (its
// channel values) with the channels that step changed marked; at a task's write, the
// node, the channel and the value written.
import type { LedgerEvent } from '../../shared/ledger.ts';

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function CheckpointState({ event }: { event: LedgerEvent }) {
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(event.payload);
  } catch {
    return null;
  }
  if (event.kind === 'checkpoint' && p.values && typeof p.values === 'object') {
    const changed = new Set(Array.isArray(p.changed) ? (p.changed as string[]) : []);
    const channels = Object.entries(p.values as Record<string, unknown>).filter(([k]) => !k.startsWith('__'));
    return (
      <>
        <h3>graph state at step {show(p.step)}</h3>
        <table className="fields" data-testid="checkpoint-state">
          <tbody>
            {channels.map(([k, v]) => (
              <tr key={k} className={changed.has(k) ? 'changed' : ''}>
                <th>{k}</th>
                <td>{show(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    );
  }
  if (typeof p.channel !== 'string') return null;
  return (
    <p className="muted" data-testid="checkpoint-write">
      {show(p.node ?? 'input')} wrote {p.channel}: {show(p.value)}
    </p>
  );
}
