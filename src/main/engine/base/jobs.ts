// Long operations report progress and can be cancelled; these are the hooks they take.
import { LedgerError } from '../../../shared/errors.ts';

export interface Progress {
  done: number;
  total: number;
  /** What `done` counts: events, bytes, pages. */
  unit: string;
}

/** An AbortSignal, or anything else whose `aborted` turns true on cancel (a flag another thread sets). */
export interface CancelSignal {
  readonly aborted: boolean;
}

export interface JobControl {
  onProgress?: (p: Progress) => void;
  signal?: CancelSignal;
}

export function throwIfCancelled(signal: CancelSignal | undefined, file?: string): void {
  if (signal?.aborted) throw new LedgerError('cancelled', 'cancelled; nothing was written', file);
}

/** Calls onProgress at most every `everyMs`, plus once at the end via the returned `done()`. */
export function progressReporter(ctl: JobControl | undefined, total: number, unit: string, everyMs = 100) {
  let last = 0;
  return {
    report(done: number) {
      if (!ctl?.onProgress) return;
      const now = performance.now();
      if (now - last < everyMs) return;
      last = now;
      ctl.onProgress({ done, total, unit });
    },
    done(done: number = total) {
      ctl?.onProgress?.({ done, total, unit });
    },
  };
}
