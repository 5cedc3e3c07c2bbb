// The schema a ledger's own rules are checked against, apart from the rules' code
// (projection.ts): a fold thread loads the fold without loading zod.
import { z } from 'zod';
import { TRANSITIONS } from './projection.ts';

/**
 * A ledger's own rules (docs/projections.md): kind patterns tried in order before
 * the word tables, and where its node id lives. A pattern is an exact kind, a glob
 * (* and ?) or a /regular expression/flags. A rule without a transition reads it
 * from the kind's words; entity null means the kind changes no status.
 */
export const RulesSchema = z
  .object({
    kinds: z
      .array(
        z
          .object({
            match: z.string().min(1),
            entity: z.enum(['run', 'node']).nullable(),
            transition: z.enum(TRANSITIONS).nullable().optional(),
          })
          .strict(),
      )
      .max(1000)
      .default([]),
    /** A payload path ($.a.b) or a column of the ledger's table. */
    node: z.string().min(1).optional(),
  })
  .strict();
