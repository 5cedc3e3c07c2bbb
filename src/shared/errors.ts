// Errors that reach a user: a code a program can branch on and a message that
// names the problem and the file. Never a stack trace.

export const ERROR_CODES = [
  'not_found',
  'permission',
  'not_a_ledger',
  'unrecognised',
  'corrupt',
  'locked',
  'invalid_argument',
  'payload_too_large',
  'read_only',
  'cancelled',
  'source_changed',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class LedgerError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  constructor(code: ErrorCode, message: string, file?: string) {
    super(file && !message.includes(file) ? `${message} (${file})` : message);
    this.name = 'LedgerError';
    this.code = code;
    this.file = file;
  }
}

/** Formats a zod-style issue list as "field: problem; field: problem". */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}
