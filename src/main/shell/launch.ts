// Which ledger a launch opens. Pure, so each rule is tested without Electron.
import path from 'node:path';

/**
 * The ledger named on a command line: the last argument that is not a flag, resolved
 * against the working directory of the launch that passed it (a second launch's own,
 * not this process's), and only if it exists. Packaged apps have no script argument.
 */
export function pathFromArgv(argv: string[], cwd: string, packaged: boolean, exists: (p: string) => boolean): string | null {
  const p = argv.slice(packaged ? 1 : 2).filter((a) => !a.startsWith('-')).at(-1);
  if (!p) return null;
  const abs = path.resolve(cwd, p);
  return exists(abs) ? abs : null;
}

export type Startup = { open: string } | { sample: true; notice?: string };

/**
 * A path given to this launch (Finder's open-file first, then the command line), else
 * the last ledger opened, else the sample; the first launch ever, or a last ledger that
 * has gone, says so in the notice line.
 */
export function startupLedger(o: { given: string | null; recent: string[]; sampleExists: boolean; exists: (p: string) => boolean }): Startup {
  if (o.given) return { open: o.given };
  const last = o.recent[0];
  if (last && o.exists(last)) return { open: last };
  if (last) return { sample: true, notice: `The last ledger, ${last}, is no longer there; this is the sample ledger.` };
  if (!o.sampleExists) return { sample: true, notice: WELCOME };
  return { sample: true };
}

/** The sample ledger a first launch opens, generated once (the desktop app's and `npm start`'s without Electron). */
export const SAMPLE = { file: 'sample-ledger.db', events: 200_000, seed: 7 } as const;

export const WELCOME =
  'Welcome to Ledger Inspector. This is a sample ledger; open your own with File > Open Ledger… (Ctrl+O, ⌘O on a Mac), or drop a .db or .jsonl file on the window.';
