// What only the desktop shell can do for the window, with a browser's own way where
// there is one: the clipboard (Electron denies the page's clipboard permission, so
// main writes it) and the native save dialog (Electron only).
import { RemoteError, type ShellArgs, type ShellMethod, type ShellResult } from '../../shared/contract.ts';
import { bridge } from './transport.ts';

async function shellCall<M extends ShellMethod>(method: M, args: ShellArgs<M>): Promise<ShellResult<M>> {
  const b = bridge();
  if (!b) throw new RemoteError('internal', `${method} needs the desktop app`);
  const res = await b.shell({ id: 0, method, args });
  if (!res.ok) throw new RemoteError(res.error.code, res.error.message);
  return res.result as ShellResult<M>;
}

export async function copyText(text: string): Promise<void> {
  if (bridge()) await shellCall('copyText', { text });
  else await navigator.clipboard.writeText(text);
}

/** Whether the native save dialog is there (in Electron, not in a browser tab). */
export const canBrowse = (): boolean => bridge() !== undefined;

/** The native dialog for an export's destination; null when the user cancels it. */
export const chooseExportPath = (kind: 'snapshot' | 'jsonl'): Promise<string | null> => shellCall('chooseExportPath', { kind });
