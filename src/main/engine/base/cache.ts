// The app's cache folder: JSONL indexes, projection caches and search indexes
// live here, keyed by the ledger's real path, never beside the user's file.
import envPaths from 'env-paths';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LedgerError } from '../../../shared/errors.ts';
import { fsReason } from './sqlite.ts';

/** $LEDGER_INSPECTOR_CACHE, else the platform's cache folder: XDG on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows. */
export function defaultCacheDir(): string {
  return process.env.LEDGER_INSPECTOR_CACHE || envPaths('ledger-inspector', { suffix: '' }).cache;
}

/** A cache file name for a ledger path and a purpose, e.g. cacheFileFor(dir, '/x/events', 'jsonl'). */
export function cacheFileFor(cacheDir: string, ledgerPath: string, purpose: string): string {
  let real = ledgerPath;
  // A database URL (postgres://) names no file: it is its own key.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(ledgerPath)) {
    try {
      real = fs.realpathSync(ledgerPath);
    } catch {
      real = path.resolve(ledgerPath);
    }
  }
  const hash = crypto.createHash('sha256').update(real).digest('hex').slice(0, 16);
  const base = path.basename(real).replace(/[^\w.-]/g, '_').slice(0, 40);
  ensureCacheDir(cacheDir);
  return path.join(cacheDir, `${base}-${hash}.${purpose}.sqlite`);
}

/** Creates the cache folder where missing; one that cannot be made or written in is refused, in words naming it. */
function ensureCacheDir(cacheDir: string): void {
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
  } catch (e) {
    // A file in the way: the folder itself, or one above it (then named, as it is what to move).
    const blocker = fileInTheWay(cacheDir);
    const { code, reason } = fsReason(e, 'folder');
    if (blocker && blocker !== path.resolve(cacheDir)) throw new LedgerError(code, `the cache folder cannot be created: ${blocker} ${reason}`, cacheDir);
    throw new LedgerError(code, `the cache folder ${blocker ? '' : 'cannot be created: '}${reason}`, cacheDir);
  }
  try {
    fs.accessSync(cacheDir, fs.constants.W_OK);
  } catch (e) {
    throw new LedgerError(fsReason(e, 'folder').code, `the cache folder cannot be written in: ${fsReason(e, 'folder').reason}`, cacheDir);
  }
}

/** The nearest of a path and the folders above it that exists and is not a folder, if any. */
function fileInTheWay(dir: string): string | null {
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    try {
      return fs.statSync(p).isDirectory() ? null : p;
    } catch {
      if (p === path.dirname(p)) return null;
    }
  }
}
