// The bridge between the sandboxed renderer and main: exactly the contract's calls
// and pushes, never a raw ipcRenderer. No logic lives here.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { METHODS, SHELL_CALLS, type Push, type Request, type Response } from '../shared/contract.ts';

const known = new Set<string>(METHODS);
const unknown = (req: Request): Promise<Response> =>
  Promise.resolve({ id: req?.id ?? 0, ok: false, error: { code: 'invalid_argument', message: `unknown method: ${String(req?.method)}` } });

contextBridge.exposeInMainWorld('ledgerInspector', {
  request(req: Request): Promise<Response> {
    if (!known.has(req?.method)) return unknown(req);
    return ipcRenderer.invoke('ledger:call', req);
  },
  /** The desktop shell's own calls (clipboard, native save dialog). */
  shell(req: Request): Promise<Response> {
    if (!Object.hasOwn(SHELL_CALLS, req?.method)) return unknown(req);
    return ipcRenderer.invoke('shell:call', req);
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
