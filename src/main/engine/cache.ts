// The app's cache folder: JSONL indexes, projection caches and search indexes
// live here, keyed by the ledger's real path, never beside the user's file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function defaultCacheDir(): string {
  if (process.env.LEDGER_INSPECTOR_CACHE) return process.env.LEDGER_INSPECTOR_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'ledger-inspector');
}

/** A cache file name for a ledger path and a purpose, e.g. cacheFileFor(dir, '/x/events', 'jsonl'). */
export function cacheFileFor(cacheDir: string, ledgerPath: string, purpose: string): string {
  let real = ledgerPath;
  try {
    real = fs.realpathSync(ledgerPath);
  } catch {
    real = path.resolve(ledgerPath);
  }
  const hash = crypto.createHash('sha256').update(real).digest('hex').slice(0, 16);
  const base = path.basename(real).replace(/[^\w.-]/g, '_').slice(0, 40);
  fs.mkdirSync(cacheDir, { recursive: true });
  return path.join(cacheDir, `${base}-${hash}.${purpose}.sqlite`);
}
