// The two ways the renderer reaches the engine: Electron IPC through the preload
// bridge, or a WebSocket to serve mode. Both carry the same contract messages.
import type { Push, Request, Response, Transport } from '../../shared/contract.ts';

export interface Bridge {
  request(req: Request): Promise<Response>;
  subscribe(handler: (push: Push) => void): () => void;
  pathForFile(file: File): string;
  /** Calls answered by Electron's main process itself (contract.ts, SHELL_CALLS). */
  shell(req: Request): Promise<Response>;
}

declare global {
  interface Window {
    ledgerInspector?: Bridge;
  }
}

export const bridge = (): Bridge | undefined => window.ledgerInspector;

export function ipcTransport(b: Bridge): Transport {
  return { request: (req) => b.request(req), subscribe: (h) => b.subscribe(h) };
}

/** A WebSocket to serve mode at /ws on the page's own host; reconnects are left to a reload. */
export function wsTransport(url = `ws://${location.host}/ws`): Transport {
  const ws = new WebSocket(url);
  const pending = new Map<number, (r: Response) => void>();
  const listeners = new Set<(p: Push) => void>();
  const open = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new Error('cannot reach the Ledger Inspector server')));
  });
  ws.addEventListener('message', (e) => {
    const msg = JSON.parse(String(e.data)) as Response | Push;
    if ('event' in msg) listeners.forEach((l) => l(msg));
    else {
      pending.get(msg.id)?.(msg);
      pending.delete(msg.id);
    }
  });
  ws.addEventListener('close', () => {
    for (const [id, resolve] of pending) resolve({ id, ok: false, error: { code: 'internal', message: 'the connection to the server closed' } });
    pending.clear();
  });
  return {
    async request(req) {
      await open;
      return new Promise((resolve) => {
        pending.set(req.id, resolve);
        ws.send(JSON.stringify(req));
      });
    },
    subscribe(h) {
      listeners.add(h);
      return () => listeners.delete(h);
    },
  };
}
