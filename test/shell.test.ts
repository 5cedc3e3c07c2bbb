// The desktop shell's rules that need no Electron: which ledger a launch opens,
// where a window is restored, and menu accelerators that never shadow a role's own.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateShellRequest } from '../src/shared/contract.ts';
import { restoredBounds } from '../src/main/shell/bounds.ts';
import { pathFromArgv, startupLedger, WELCOME } from '../src/main/shell/launch.ts';
import { menuModel, type MenuNode } from '../src/main/shell/menu-model.ts';
import { tempDir } from './fixtures.ts';

describe('launch', () => {
  const dir = tempDir();
  const file = path.join(dir, 'ledger.db');
  fs.writeFileSync(file, '');
  const exists = (p: string) => fs.existsSync(p);

  it('resolves a relative path against the launch’s own working directory', () => {
    expect(pathFromArgv(['/usr/bin/electron', '.', 'ledger.db'], dir, false, exists)).toBe(file);
    expect(pathFromArgv(['/opt/Ledger Inspector/ledger-inspector', '--no-sandbox', 'ledger.db'], dir, true, exists)).toBe(file);
    // The same argv from another directory names another file, which is not there.
    expect(pathFromArgv(['/usr/bin/electron', '.', 'ledger.db'], path.dirname(dir), false, exists)).toBeNull();
    expect(pathFromArgv(['/usr/bin/electron', '.', '--flag'], dir, false, exists)).toBeNull();
    // In development the second argument is the app folder, never a ledger.
    expect(pathFromArgv(['/usr/bin/electron', dir], dir, false, exists)).toBeNull();
  });

  it('opens what it was given, else the last ledger, else the sample with a welcome the first time', () => {
    const base = { recent: [] as string[], sampleExists: true, exists };
    expect(startupLedger({ ...base, given: file })).toEqual({ open: file });
    expect(startupLedger({ ...base, given: null, recent: [file] })).toEqual({ open: file });
    expect(startupLedger({ ...base, given: null, sampleExists: false })).toEqual({ sample: true, notice: WELCOME });
    expect(startupLedger({ ...base, given: null })).toEqual({ sample: true });
    const gone = path.join(dir, 'gone.db');
    expect(startupLedger({ ...base, given: null, recent: [gone] })).toEqual({ sample: true, notice: expect.stringContaining(gone) });
    expect(WELCOME).toContain('Open Ledger');
  });
});

describe('window bounds', () => {
  const laptop = { x: 0, y: 0, width: 1440, height: 900 };
  const external = { x: 1440, y: 0, width: 2560, height: 1440 };
  const fallback = { width: 1360, height: 860 };

  it('keeps a position some display still shows', () => {
    expect(restoredBounds({ x: 2000, y: 100, width: 1600, height: 1000 }, [laptop, external], fallback)).toEqual({ x: 2000, y: 100, width: 1600, height: 1000 });
  });

  it('drops a position on a display that is gone, and fits the size to the primary display', () => {
    expect(restoredBounds({ x: 2000, y: 100, width: 1600, height: 1000 }, [laptop], fallback)).toEqual({ width: 1440, height: 900 });
    // Only a sliver of the title strip on screen is as good as gone.
    expect(restoredBounds({ x: 1400, y: 10, width: 800, height: 600 }, [laptop], fallback)).toEqual({ width: 800, height: 600 });
    expect(restoredBounds({ x: 100, y: -500, width: 800, height: 600 }, [laptop], fallback)).toEqual({ width: 800, height: 600 });
    expect(restoredBounds(undefined, [laptop], fallback)).toEqual(fallback);
  });
});

/**
 * The accelerators Electron gives its menu roles, per platform, as
 * lib/browser/api/menu-item-roles.ts in Electron's source defines them; editMenu,
 * appMenu and windowMenu expand to the roles listed there.
 */
function roleAccelerators(platform: NodeJS.Platform): Record<string, string[]> {
  const mac = platform === 'darwin';
  const win = platform === 'win32';
  const one: Record<string, string | undefined> = {
    undo: 'CommandOrControl+Z',
    redo: win ? 'Control+Y' : 'Shift+CommandOrControl+Z',
    cut: 'CommandOrControl+X',
    copy: 'CommandOrControl+C',
    paste: 'CommandOrControl+V',
    pasteAndMatchStyle: mac ? 'Cmd+Option+Shift+V' : 'Shift+CommandOrControl+V',
    selectAll: 'CommandOrControl+A',
    reload: 'CmdOrCtrl+R',
    forceReload: 'Shift+CmdOrCtrl+R',
    toggleDevTools: mac ? 'Alt+Command+I' : 'Ctrl+Shift+I',
    resetZoom: 'CommandOrControl+0',
    zoomIn: 'CommandOrControl+Plus',
    zoomOut: 'CommandOrControl+-',
    togglefullscreen: mac ? 'Control+Command+F' : 'F11',
    quit: win ? undefined : 'CommandOrControl+Q',
    close: 'CommandOrControl+W',
    minimize: 'CommandOrControl+M',
    hide: 'Command+H',
    hideOthers: 'Command+Alt+H',
  };
  const groups: Record<string, string[]> = {
    editMenu: ['undo', 'redo', 'cut', 'copy', 'paste', ...(mac ? ['pasteAndMatchStyle'] : []), 'selectAll'],
    appMenu: ['hide', 'hideOthers', 'quit'],
    windowMenu: ['minimize', ...(mac ? [] : ['close'])],
  };
  const out: Record<string, string[]> = {};
  for (const [role, acc] of Object.entries(one)) out[role] = acc ? [acc] : [];
  for (const [group, roles] of Object.entries(groups)) out[group] = roles.flatMap((r) => out[r]!);
  return out;
}

/** One spelling per key combination: CmdOrCtrl is Cmd on a Mac and Ctrl elsewhere; modifiers in a fixed order. */
function normalise(acc: string, platform: NodeJS.Platform): string {
  const mac = platform === 'darwin';
  const alias: Record<string, string> = { commandorcontrol: mac ? 'cmd' : 'ctrl', cmdorctrl: mac ? 'cmd' : 'ctrl', command: 'cmd', control: 'ctrl', option: 'alt' };
  const parts = acc.toLowerCase().split('+').map((p) => alias[p] ?? p);
  const key = parts.pop()!;
  return [...parts.sort(), key].join('+');
}

describe('menu accelerators', () => {
  it.each(['linux', 'win32', 'darwin'] as const)('on %s, no two items (ours or a role’s) share one', (platform) => {
    const roles = roleAccelerators(platform);
    const seen = new Map<string, string>();
    const walk = (nodes: MenuNode[]) => {
      for (const n of nodes) {
        const found: Array<[string, string]> =
          n.type === 'item' && n.accelerator ? [[n.accelerator, n.id]] : n.type === 'role' ? (roles[n.role] ?? []).map((a) => [a, n.role]) : [];
        for (const [acc, who] of found) {
          const k = normalise(acc, platform);
          expect(seen.get(k), `${acc} of ${who} is also ${seen.get(k)}'s`).toBeUndefined();
          seen.set(k, who);
        }
        if (n.type === 'submenu') walk(n.items);
      }
    };
    walk(menuModel({ ledgerOpen: true, replayStep: true, recent: ['/a.db'], theme: 'system', detailPane: true }, platform));
    // The roles' table is really used: the edit menu's Copy is among them.
    expect(seen.get(platform === 'darwin' ? 'cmd+c' : 'ctrl+c')).toBe('editMenu');
  });
});

describe('the shell’s own calls', () => {
  it('are checked like the engine’s: known methods, their arguments only', () => {
    expect(validateShellRequest({ id: 1, method: 'copyText', args: { text: 'x' } })).toEqual({ method: 'copyText', args: { text: 'x' } });
    expect(validateShellRequest({ id: 2, method: 'chooseExportPath', args: { kind: 'jsonl' } }).method).toBe('chooseExportPath');
    expect(() => validateShellRequest({ id: 3, method: 'rows', args: {} })).toThrow('unknown method: rows');
    expect(() => validateShellRequest({ id: 4, method: 'copyText', args: { text: 5 } })).toThrow(/^copyText: /);
    expect(() => validateShellRequest({ id: 5, method: 'chooseExportPath', args: { kind: 'zip' } })).toThrow(/^chooseExportPath: /);
    expect(() => validateShellRequest({ id: 6, method: 'copyText', args: { text: 'x', extra: 1 } })).toThrow(/^copyText: /);
  });
});
