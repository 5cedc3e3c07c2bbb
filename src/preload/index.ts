// The bridge between the sandboxed renderer and main: exactly the contract's calls
// and pushes, never a raw ipcRenderer. No logic lives here.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { METHODS, type Push, type Request, type Response } from '../shared/contract.ts';

const known = new Set<string>(METHODS);

contextBridge.exposeInMainWorld('ledgerInspector', {
  request(req: Request): Promise<Response> {
    if (!known.has(req?.method)) return Promise.resolve({ id: req?.id ?? 0, ok: false, error: { code: 'invalid_argument', message: `unknown method: ${String(req?.method)}` } });
    return ipcRenderer.invoke('ledger:call', req);
  },
  subscribe(handler: (push: Push) => void): () => void {
    const listener = (_e: unknown, push: Push) => handler(push);
    ipcRenderer.on('ledger:push', listener);
    return () => ipcRenderer.off('ledger:push', listener);
  },
  /** The path of a file dropped on the window. */
  pathForFile(file: File): string {
    return webUtils.getPathForFile(file);
  },
});
