// SQL text and its parameters built together, as Signal Desktop's `sql` template does:
// a value sits where it is used, so a statement's parameters can never fall out of order.
//   sql`SELECT * FROM ${raw(table)} WHERE ${raw(col)} > ${after} LIMIT ${n}`
// Values become parameters; fragments (sql`...`, raw(), join()) are spliced in. The
// text between parameters is kept apart, so one fragment renders in either dialect:
// `text` has SQLite's `?`, toPg() PostgreSQL's `$1, $2, ...`.

export interface Sql {
  /** The text with `?` for each parameter (SQLite). */
  readonly text: string;
  readonly params: readonly unknown[];
  /** The text between parameters: one more piece than parameters. */
  readonly pieces: readonly string[];
}

class Fragment implements Sql {
  readonly text: string;
  readonly params: readonly unknown[];
  readonly pieces: readonly string[];
  constructor(pieces: readonly string[], params: readonly unknown[]) {
    this.pieces = pieces;
    this.params = params;
    this.text = pieces.join('?');
  }
}

/** Text, parameters and fragments added in order. */
class Builder {
  private readonly pieces = [''];
  private readonly params: unknown[] = [];
  add(text: string): void {
    this.pieces[this.pieces.length - 1] += text;
  }
  param(value: unknown): void {
    this.params.push(value);
    this.pieces.push('');
  }
  splice(f: Sql): void {
    this.add(f.pieces[0]!);
    for (let i = 0; i < f.params.length; i++) {
      this.param(f.params[i]);
      this.add(f.pieces[i + 1]!);
    }
  }
  done(): Fragment {
    return new Fragment(this.pieces, this.params);
  }
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  const b = new Builder();
  b.add(strings[0]!);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v instanceof Fragment) b.splice(v);
    else b.param(v);
    b.add(strings[i + 1]!);
  }
  return b.done();
}

/** SQL text taken as it is: identifiers and column expressions from a layout, never a user's value. */
export const raw = (text: string): Sql => new Fragment([text], []);

export const EMPTY = raw('');

/** The fragments that are not empty, joined by `separator`. */
export function join(parts: readonly Sql[], separator: string): Sql {
  const b = new Builder();
  parts
    .filter((p) => p.text)
    .forEach((p, i) => {
      if (i) b.add(separator);
      b.splice(p);
    });
  return b.done();
}

/** `WHERE a AND b ...` over the conditions that are not empty; nothing when none are. */
export function where(...conditions: Sql[]): Sql {
  const all = join(conditions, ' AND ');
  return all.text ? sql`WHERE ${all}` : EMPTY;
}

/** The text with each parameter written as `placeholder` gives it (its 0-based place and value). */
export function render(q: Sql, placeholder: (i: number, value: unknown) => string): string {
  let text = q.pieces[0]!;
  for (let i = 0; i < q.params.length; i++) text += placeholder(i, q.params[i]) + q.pieces[i + 1]!;
  return text;
}

/** The text in PostgreSQL's numbered placeholders, `$1, $2, ...`. */
export const toPg = (q: Sql): string => render(q, (i) => `$${i + 1}`);
