// What the window keeps per ledger or per layout (saved views, bookmarks, column
// layout) lives in the app's data folder, one small JSON file per scope, never
// beside the user's file. Writes go to a temporary file renamed over the old one,
// so a crash leaves the previous values whole.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeTextWhole } from '../base/atomic-write.ts';
import { defaultDataDir } from './ledger-settings.ts';

interface ScopeFile {
  scope: string;
  values: Record<string, unknown>;
}

export class AppData {
  readonly dir: string;

  constructor(dir = defaultDataDir()) {
    this.dir = path.join(dir, 'prefs');
  }

  private file(scope: string): string {
    return path.join(this.dir, `${crypto.createHash('sha256').update(scope).digest('hex').slice(0, 24)}.json`);
  }

  /** Every value kept for a scope ({} when none). */
  get(scope: string): Record<string, unknown> {
    const file = this.file(scope);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return {};
    }
    try {
      const parsed = JSON.parse(text) as ScopeFile;
      return parsed.scope === scope && parsed.values && typeof parsed.values === 'object' ? parsed.values : {};
    } catch {
      // A damaged file is set aside, not lost, and the scope starts afresh.
      fs.renameSync(file, `${file}.damaged`);
      return {};
    }
  }

  /** Sets one value of a scope (null deletes it), keeping the others. */
  set(scope: string, key: string, value: unknown): void {
    const values = this.get(scope);
    if (value === null || value === undefined) delete values[key];
    else values[key] = value;
    writeTextWhole(this.file(scope), JSON.stringify({ scope, values } satisfies ScopeFile));
  }
}
