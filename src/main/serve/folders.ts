// Serve mode hands the contract to anyone holding the token, so every file a call
// names must lie inside the folders serve was started with: a token leaked to a web
// page must not become a way to read or write the rest of the disk.
import fs from 'node:fs';
import path from 'node:path';
import { CALLS, type Method } from '../../shared/contract.ts';
import { LedgerError } from '../../shared/errors.ts';
import { filesOfPgUrl, isPgUrl } from '../engine/pg/pg-url.ts';

/** The real path of `p`, also when it does not exist yet: its nearest existing ancestor resolved, the rest appended. */
function realPath(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let dir = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync(dir), ...rest.reverse());
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return abs;
      rest.push(path.basename(dir));
      dir = parent;
    }
  }
}

export class AllowedFolders {
  readonly folders: string[];

  constructor(folders: string[]) {
    this.folders = [...new Set(folders.map(realPath))];
  }

  /** Throws unless `file` (after following links) lies inside one of the folders. */
  check(file: string): void {
    // A database URL names a server, and may name certificate files, which the driver reads.
    if (isPgUrl(file)) {
      for (const named of filesOfPgUrl(file)) this.check(named);
      return;
    }
    const real = realPath(file);
    if (this.folders.some((f) => real === f || real.startsWith(f.endsWith(path.sep) ? f : f + path.sep))) return;
    throw new LedgerError(
      'permission',
      `serve mode reads and writes only inside ${this.folders.join(', ')}; start it with --allow-dir to allow another folder`,
      path.resolve(file),
    );
  }

  /** Checks every file a validated request names, by the contract's list of the call's file fields. */
  checkRequest(method: Method, args: unknown): void {
    for (const field of CALLS[method].files) {
      const value = (args as Record<string, unknown>)[field];
      if (typeof value === 'string') this.check(value);
    }
  }
}
