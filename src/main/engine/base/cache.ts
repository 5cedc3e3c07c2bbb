// The app's cache folder: JSONL indexes, projection caches and search indexes
// live here, keyed by the ledger's real path, never beside the user's file.
import envPaths from 'env-paths';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

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
  fs.mkdirSync(cacheDir, { recursive: true });
  return path.join(cacheDir, `${base}-${hash}.${purpose}.sqlite`);
}
