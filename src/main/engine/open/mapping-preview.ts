// What the mapping editor shows: a file's tables scored as event logs, and the first
// rows and runs a draft mapping would give, read without saving anything.
import { LedgerError } from '../../../shared/errors.ts';
import type { MappingPreview } from '../../../shared/contract.ts';
import type { Mapping, TableGuess } from '../../../shared/ledger.ts';
import { foldRun, type LedgerRules } from '../../../shared/projection.ts';
import { guessMappings } from '../layout/detect.ts';
import { isJsonlPath } from '../jsonl/jsonl-store.ts';
import { Ledger } from './ledger.ts';
import { listTables, openReadOnly, wrap } from '../base/sqlite.ts';

const PREVIEW_ROWS = 20;
/** The runs previewed are folded from the first events only: a preview, not the whole ledger. */
const PREVIEW_FOLD = 2000;

export function inspectTables(file: string): TableGuess[] {
  if (isJsonlPath(file)) throw new LedgerError('invalid_argument', 'a JSONL store has no tables to map', file);
  const db = openReadOnly(file);
  try {
    return wrap(file, () => guessMappings(db, listTables(db)));
  } finally {
    db.close();
  }
}

export function previewMapping(file: string, mapping: Mapping | undefined, rules: LedgerRules | undefined, cacheDir?: string): MappingPreview {
  const ledger = Ledger.open(file, { mapping, rules, cacheDir, dataDir: null });
  try {
    const events = ledger.page({ limit: PREVIEW_ROWS }).events;
    const byRun = new Map<string, ReturnType<Ledger['page']>['events']>();
    let n = 0;
    for (const e of ledger.iterate()) {
      if (++n > PREVIEW_FOLD) break;
      let list = byRun.get(e.run_id);
      if (!list) byRun.set(e.run_id, (list = []));
      list.push(e);
    }
    const runs = [...byRun.values()].map((list) => foldRun(list, ledger.rules)!.run);
    return { events, runs };
  } finally {
    ledger.close();
  }
}
