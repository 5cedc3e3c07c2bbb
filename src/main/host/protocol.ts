// Messages between the engine host (main side) and its workers.
import type { Push, Response } from '../../shared/contract.ts';

export interface WorkerRequest {
  id: number;
  method: string;
  args: unknown;
  job?: string;
  /** Index of the job's cancel flag in the shared array. */
  slot?: number;
  /** For open: the id both workers give the ledger. */
  ledgerId?: string;
}

/** A reply, a push, or the one-time word that the worker has loaded its native modules. */
export type WorkerReply = Response | { push: Push } | { ready: true };

/** How a call naming a ledger the worker does not hold begins its error (the host then hands that worker its open again). */
export const NO_OPEN_LEDGER = 'no open ledger';
