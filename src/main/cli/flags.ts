// The command line's numbers, read strictly: a flag that is not a whole number in
// its range is a usage error (exit 2), never a value silently read another way
// (`0x10` as 16, `1e12` past a cap, `-3` as 1).

/** A bad command line: one line naming the flag, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const DECIMAL = /^-?\d+(_\d+)*$/;

/** A parser for a flag taking a whole decimal number in [min, max]; `1_000_000` reads as a million. */
export function whole(flag: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const text = v.trim();
    if (!DECIMAL.test(text)) throw new UsageError(`${flag} takes a whole number, not "${v}"`);
    const n = Number(text.replaceAll('_', ''));
    const unbounded = max === Number.MAX_SAFE_INTEGER;
    const range = unbounded ? `at least ${min.toLocaleString('en-US')}` : `from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`;
    // A number too big says the bound it passed, the largest kept exact where the flag has no other.
    if (n > max) throw new UsageError(`${flag} must be ${unbounded ? `at most ${max.toLocaleString('en-US')}` : range}, not ${v}`);
    if (n < min || !Number.isSafeInteger(n)) throw new UsageError(`${flag} must be ${range}, not ${v}`);
    return n;
  };
}
