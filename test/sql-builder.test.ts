// The one SQL builder renders the same fragment in both dialects: `?` for SQLite,
// `$1, $2, ...` for PostgreSQL, in the order the values sit, through nesting and joins.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { join, raw, render, sql, toPg, where } from '../src/main/engine/base/sql.ts';

describe('the sql template', () => {
  const kinds = join(['log', 'tool_call'].map((k) => sql`${k}`), ', ');
  const q = sql`SELECT "offset" FROM ${raw('events')} ${where(sql`kind IN (${kinds})`, raw(''), sql`"offset" > ${10}`)} ORDER BY 1 LIMIT ${5}`;

  it('numbers the parameters for PostgreSQL in the order SQLite binds them', () => {
    expect(q.text).toBe(`SELECT "offset" FROM events WHERE kind IN (?, ?) AND "offset" > ? ORDER BY 1 LIMIT ?`);
    expect(toPg(q)).toBe(`SELECT "offset" FROM events WHERE kind IN ($1, $2) AND "offset" > $3 ORDER BY 1 LIMIT $4`);
    expect(q.params).toEqual(['log', 'tool_call', 10, 5]);
  });

  it("leaves a question mark in the text (PostgreSQL's jsonb ? operator) alone", () => {
    const j = sql`SELECT ${raw(`payload::jsonb ? 'tool'`)} AND id = ${'a?b'}`;
    expect(toPg(j)).toBe(`SELECT payload::jsonb ? 'tool' AND id = $1`);
    expect(render(j, (_, v) => `'${String(v)}'`)).toBe(`SELECT payload::jsonb ? 'tool' AND id = 'a?b'`);
  });

  it('runs as SQLite text with its parameters', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE events ("offset" INTEGER PRIMARY KEY, kind TEXT); INSERT INTO events (kind) VALUES ('log'), ('x'), ('log')`);
    db.exec(`INSERT INTO events (kind) SELECT kind FROM events; INSERT INTO events (kind) SELECT kind FROM events; INSERT INTO events (kind) SELECT kind FROM events`);
    expect(db.prepare(q.text).pluck().all(...q.params)).toEqual([12, 13, 15, 16, 18]);
    db.close();
  });
});
