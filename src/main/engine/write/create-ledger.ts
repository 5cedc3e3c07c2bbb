import { openWritable, wrap } from '../base/sqlite.ts';
import { CANONICAL_INDEXES, CANONICAL_TABLE } from '../format/schema.ts';

/** Creates a new, empty canonical ledger. */
export function createCanonical(file: string): void {
  const db = openWritable(file);
  try {
    wrap(file, () => {
      db.exec(CANONICAL_TABLE);
      for (const sql of CANONICAL_INDEXES) db.exec(sql);
    });
  } finally {
    db.close();
  }
}
