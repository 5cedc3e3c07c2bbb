// Where Electron's binary is, and why it cannot run here when it cannot. Found without
// require('electron'), whose index throws ("Electron failed to install correctly") when
// its download never happened.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The installed Electron binary, or null when its package has not downloaded one. */
export function electronBinary(): string | null {
  const dir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = path.join(dir, 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const exe = path.join(dir, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(exe) ? exe : null;
}

/** Why the desktop app cannot start on this machine, or null when it can. */
export function electronUnavailable(env: NodeJS.ProcessEnv = process.env): string | null {
  const exe = electronBinary();
  if (!exe) return "Electron's binary is not installed (its npm package downloads it, which needs the internet)";
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'there is no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set)';
  // It runs as plain Node here, which loads the same libraries without needing a display.
  const probe = spawnSync(exe, ['-e', ''], { env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8' });
  if (probe.status !== 0) return `Electron's binary does not run here: ${(probe.error?.message ?? probe.stderr.trim().split('\n')[0]) || `exit ${probe.status}`}`;
  return null;
}
