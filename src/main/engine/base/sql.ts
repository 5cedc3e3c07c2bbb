// SQL text and its parameters built together, as Signal Desktop's `sql` template does:
// a value sits where it is used, so a statement's parameters can never fall out of order.
//   sql`SELECT * FROM ${raw(table)} WHERE ${raw(col)} > ${after} LIMIT ${n}`
// Values become `?` parameters; fragments (sql`...`, raw(), join()) are spliced in.

export interface Sql {
  readonly text: string;
  readonly params: readonly unknown[];
}

class Fragment implements Sql {
  readonly text: string;
  readonly params: readonly unknown[];
  constructor(text: string, params: readonly unknown[]) {
    this.text = text;
    this.params = params;
  }
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  let text = strings[0]!;
  const params: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v instanceof Fragment) {
      text += v.text;
      for (const p of v.params) params.push(p);
    } else {
      text += '?';
      params.push(v);
    }
    text += strings[i + 1]!;
  }
  return new Fragment(text, params);
}

/** SQL text taken as it is: identifiers and column expressions from a layout, never a user's value. */
export const raw = (text: string): Sql => new Fragment(text, []);

export const EMPTY = raw('');

/** The fragments that are not empty, joined by `separator`. */
export function join(parts: readonly Sql[], separator: string): Sql {
  const kept = parts.filter((p) => p.text);
  return new Fragment(kept.map((p) => p.text).join(separator), kept.flatMap((p) => p.params));
}

/** `WHERE a AND b ...` over the conditions that are not empty; nothing when none are. */
export function where(...conditions: Sql[]): Sql {
  const all = join(conditions, ' AND ');
  return all.text ? new Fragment(`WHERE ${all.text}`, all.params) : EMPTY;
}
