// The real ledger-inspector command, run to its end as a user runs it, with its cache
// folder set; what the CLI tests share.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../../bin/ledger-inspector.js');

export function runCli(args: string[], opts: { cacheDir: string; input?: string }): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, LEDGER_INSPECTOR_CACHE: opts.cacheDir },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
