// Integers past 2^53 read as JavaScript numbers are rounded (9007199254740993 reads as
// ...992). Every store hands such a value on in one form: a number where that is exact,
// else its exact decimal text (as LedgerEvent.seq allows).

/** An integer read exactly (a database's text, a bigint), as the engine hands it on. */
export function exactInteger(v: string | bigint): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : String(v);
}

/** Whether a number read from a database may be a rounded integer (beyond ±(2^53 - 1)): one cheap test. */
export const maybeRounded = (v: unknown): boolean => typeof v === 'number' && !(v <= Number.MAX_SAFE_INTEGER && v >= -Number.MAX_SAFE_INTEGER);

/** A seq as writers count with it: a number where exact, else a bigint (which SQLite binds as its exact INTEGER). */
export type Seq = number | bigint;

/** The integer after `n`, exact past 2^53. */
export const nextInteger = (n: Seq): Seq => (typeof n === 'bigint' ? n + 1n : Number.isSafeInteger(n + 1) ? n + 1 : BigInt(n) + 1n);

/** A bigint read with safe integers, as a Seq: a number where exact. */
export const toSeq = (v: bigint): Seq => (Number.isSafeInteger(Number(v)) ? Number(v) : v);
