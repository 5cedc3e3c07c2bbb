// What every reader keeps alike, whatever holds its rows (a SQLite file, a PostgreSQL
// table): the path it answers for, its layout, its warnings and its projection rules.
import type { RulesSource } from '../../../shared/ledger.ts';
import { compileRules, type LedgerRules, type Rules } from '../../../shared/projection.ts';
import { progressReporter, throwIfCancelled, type JobControl } from '../base/jobs.ts';
import { quoteIdent } from '../base/sqlite.ts';
import type { Source } from '../layout/layouts.ts';
import { checkRules } from './checks.ts';

export abstract class ReaderBase<S extends Source> {
  readonly path: string;
  readonly source: S;
  readonly cacheDir: string;
  warnings: string[] = [];
  rules: Rules = compileRules(null);
  rulesSource: RulesSource = 'none';

  constructor(path: string, source: S, cacheDir: string) {
    this.path = path;
    this.source = source;
    this.cacheDir = cacheDir;
  }

  get shape(): S {
    return this.source;
  }

  get mappingKey(): string {
    return JSON.stringify({ table: this.source.table, col: this.source.col });
  }

  /**
   * Takes on projection rules (checked against the table's columns, compiled); a rule's
   * node column becomes the node id read. True when it did, which changes what is selected.
   */
  protected takeRules(given: [LedgerRules, RulesSource], table: string, columns: () => string[]): boolean {
    this.rules = checkRules(given[0], this.path, table, columns);
    this.rulesSource = given[1];
    if (!this.rules.nodeColumn) return false;
    this.source.col.node_id = `${this.source.table}.${quoteIdent(this.rules.nodeColumn)}`;
    return true;
  }

  /**
   * A count made a window of offsets at a time (`count` of [from, to)), with progress
   * and cancel: one count(*) of a big table could be neither followed nor stopped.
   */
  protected countInWindows(
    lo: number | null,
    hi: number | null,
    window: number,
    ctl: JobControl,
    count: (from: number, to: number) => number,
    nextOffset: (from: number) => number | null,
  ): number {
    if (lo === null || hi === null) return 0;
    const progress = progressReporter(ctl, hi - lo + 1, 'offsets');
    let n = 0;
    // Each window starts at an offset that is there: offsets far apart (ids of 64 bits) would
    // otherwise make billions of empty windows.
    for (let from: number | null = lo; from !== null && from <= hi; from = nextOffset(from + window)) {
      throwIfCancelled(ctl.signal, this.path);
      n += count(from, from + window);
      progress.report(Math.min(hi, from + window) - lo);
    }
    progress.done();
    return n;
  }
}
