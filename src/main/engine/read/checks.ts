// What every reader checks at its edge, whatever the store: queries, page requests
// and projection rules, each refused with one line naming the ledger.
import { describeIssues, LedgerError } from '../../../shared/errors.ts';
import { PageRequestSchema, QuerySchema, quickParsePageRequest, type PageRequest, type ParsedPageRequest, type Query } from '../../../shared/ledger.ts';
import { compileRules, type LedgerRules, type Rules } from '../../../shared/projection.ts';
import { RulesSchema } from '../../../shared/rules-schema.ts';
import type { StoreShape } from './reader.ts';

export function checkQuery(given: unknown, shape: StoreShape, path: string): Query {
  const parsed = QuerySchema.safeParse(given ?? {});
  if (!parsed.success) throw new LedgerError('invalid_argument', `bad query: ${describeIssues(parsed.error.issues)}`, path);
  return checkQueryFits(parsed.data, shape, path);
}

/** What a query already checked against the schema asks of the store itself. */
export function checkQueryFits(query: Query, shape: StoreShape, path: string): Query {
  if (query.since_seq !== undefined && !shape.hasSeq)
    throw new LedgerError('invalid_argument', `since_seq needs a seq column, and this ${shape.layout} ledger has none`, path);
  return query;
}

/** A page request checked (its query too), with the schema's defaults filled in. */
export function checkPageRequest(given: PageRequest, path: string): ParsedPageRequest {
  const quick = quickParsePageRequest(given);
  if (quick) return quick;
  const parsed = PageRequestSchema.safeParse(given);
  if (!parsed.success) throw new LedgerError('invalid_argument', `bad page request: ${describeIssues(parsed.error.issues)}`, path);
  return parsed.data;
}

/** Projection rules checked and compiled; a node column they name must be one of the table's. */
export function checkRules(given: LedgerRules, path: string, table: string, columnsOf: () => string[]): Rules {
  const parsed = RulesSchema.safeParse(given);
  if (!parsed.success) throw new LedgerError('invalid_argument', `bad rules: ${describeIssues(parsed.error.issues)}`, path);
  let rules: Rules;
  try {
    rules = compileRules(parsed.data);
  } catch (e) {
    throw new LedgerError('invalid_argument', (e as Error).message, path);
  }
  const column = rules.nodeColumn;
  if (column) {
    const columns = columnsOf();
    if (!columns.includes(column)) throw new LedgerError('invalid_argument', `the rules take node ids from column "${column}", which is not in ${table}; its columns: ${columns.join(', ')}`, path);
  }
  return rules;
}

/**
 * Offsets are read as numbers, exact up to 2^53: a ledger ordered by bigger ones (Snowflake-style
 * ids) is refused at open, naming its order column, rather than shown with offsets run together
 * (and a replay that never got past two of them). `lo` and `hi`: the column's least and greatest, as text.
 */
export function checkOffsetsExact({ lo, hi }: { lo: string | null; hi: string | null }, column: string, path: string): void {
  const past = [hi, lo].find((v) => v !== null && !Number.isSafeInteger(Number(v)));
  if (past !== undefined)
    throw new LedgerError('not_a_ledger', `the order column ${column} holds ${past}, past 2^53 (${Number.MAX_SAFE_INTEGER}), where offsets cannot be kept exact; map another order column`, path);
}
