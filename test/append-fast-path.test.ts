// Append's fast check: for every event it takes, exactly what the schema gives; every other event goes to the schema.
import { describe, expect, it } from 'vitest';
import { AppendEventSchema, quickParseAppendEvent } from '../src/shared/ledger.ts';

const base = { run_id: 'r', kind: 'k' };
const s = (n: number) => 'x'.repeat(n);
const variants: Array<[string, unknown]> = [
  ['minimal', base],
  ['every field', { ...base, id: 'e1', actor: 'a', payload: { a: 1 }, created_at: '2026-01-01T00:00:00Z', turn: 3, schema_version: 2, session_id: 's', model_profile: null, model_id: 'm' }],
  ['fields given as undefined', { ...base, id: undefined, actor: undefined, payload: undefined, turn: undefined, session_id: undefined }],
  ['id at its limit', { ...base, id: s(200) }],
  ['id over it', { ...base, id: s(201) }],
  ['empty id', { ...base, id: '' }],
  ['run id at its limit', { ...base, run_id: s(500) }],
  ['run id over it', { ...base, run_id: s(501) }],
  ['empty run id', { ...base, run_id: '' }],
  ['no run id', { kind: 'k' }],
  ['kind over its limit', { ...base, kind: s(201) }],
  ['number kind', { ...base, kind: 5 }],
  ['actor null', { ...base, actor: null }],
  ['empty actor', { ...base, actor: '' }],
  ['payload array', { ...base, payload: [1] }],
  ['payload null', { ...base, payload: null }],
  ['payload text', { ...base, payload: '{}' }],
  ['created_at not a time', { ...base, created_at: 'yesterday' }],
  ['created_at a number', { ...base, created_at: 5 }],
  ...['2026-02-28T23:59:59Z', '2026-02-29T00:00:00Z', '2026-02-30T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z',
    '2026-01-00T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T23:59:60Z', '2026-01-01T00:00:00.123456789Z', '2026-01-01T00:00:00.1234567890Z', '2026-01-01T00:00:00.1Z', '2026-01-01T00:00:00.12Z', '2026-01-01T00:00:00.Z', '2026-01-01T00:00:00.1aZ', '2026-01-01T0a:00:00Z', '2026-01-01T00:00:00ZZ',
    '2026-01-01T00:00:00+02:00', '2026-01-01T00:00:00z', '2026-01-01 00:00:00Z', '0000-01-01T00:00:00Z', '+012026-01-01T00:00:00Z', '2026-1-01T00:00:00Z']
    .map((t): [string, unknown] => [`created_at ${t}`, { ...base, created_at: t }]),
  ['turn negative', { ...base, turn: -1 }],
  ['turn fractional', { ...base, turn: 1.5 }],
  ['turn past 2^53', { ...base, turn: 2 ** 53 }],
  ['turn NaN', { ...base, turn: Number.NaN }],
  ['turn as text', { ...base, turn: '1' }],
  ['schema_version 0', { ...base, schema_version: 0 }],
  ['session at its limit', { ...base, session_id: s(500) }],
  ['session over it', { ...base, session_id: s(501) }],
  ['model id a number', { ...base, model_id: 7 }],
  ['an unknown key', { ...base, extra: 1 }],
  ['an unknown key, undefined', { ...base, extra: undefined }],
  ['a lone surrogate (toRows refuses it after the parse)', { ...base, run_id: '\uD800' }],
  ['no prototype', Object.assign(Object.create(null), base)],
  ['an array', [base]],
  ['null', null],
  ['text', 'event'],
  ['a class instance', new (class { run_id = 'r'; kind = 'k'; })()],
];

describe('the fast check of an appended event', () => {
  it.each(variants)('%s: takes only what the schema takes, giving what it gives', (_name, raw) => {
    const quick = quickParseAppendEvent(raw);
    const schema = AppendEventSchema.safeParse(raw);
    if (quick === null) return; // the schema decides, as before
    expect(schema.success).toBe(true);
    expect(quick).toEqual(schema.data);
  });

  it('takes the common events itself', () => {
    for (const [name, raw] of variants.slice(0, 4)) expect(quickParseAppendEvent(raw), name).not.toBeNull();
  });
});
