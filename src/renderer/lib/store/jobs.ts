// Long jobs and exports: progress of every job the engine runs, the export dialog,
// and exports this window starts (it reports their outcome itself).
import { RemoteError } from '../../../shared/contract.ts';
import { message, type Slice, type StoreContext } from './context.ts';

export interface Job {
  id: string;
  method: string;
  done: number;
  total: number;
  unit: string;
}

export interface JobsSlice {
  jobs: Record<string, Job>;
  exportOpen: boolean;

  setExportOpen(open: boolean): void;
  cancelJob(id: string): void;
  /** A destination as the engine will write it: absolute, ~ expanded, relative to the ledger's folder. */
  resolveDest(path: string): Promise<{ path: string }>;
  /** Runs an export; resolves to null when it is written, else the reason (the dialog shows it). */
  runExport(kind: 'snapshot' | 'jsonl', scope: 'all' | 'filter' | 'replay', dest: string): Promise<string | null>;
  /**
   * Back to no ledger: used by open and close alike. The dialog closes; jobs already
   * running go on in the engine, so their progress and outcome still show.
   */
  resetJobs(): void;
}

export const isCancelled = (e: unknown) => e instanceof RemoteError && e.code === 'cancelled';

/** The folder of a ledger's path: relative destinations are taken from it. */
export const folderOf = (p: string) => p.replace(/[\\/][^\\/]*$/, '') || '/';

export const createJobsSlice =
  ({ client }: StoreContext): Slice<JobsSlice> =>
  (set, get) => {
    /** Jobs this window started: it reports their outcome itself. */
    const ownJobs = new Set<string>();
    /** Jobs cancelled here: a job ended by its ledger's close (another file opened) is no news. */
    const cancelled = new Set<string>();
    client.on('progress', (p) => set((s) => ({ jobs: { ...s.jobs, [p.job]: { id: p.job, method: p.method, done: p.done, total: p.total, unit: p.unit } } })));
    client.on('jobDone', (d) =>
      set((s) => {
        const jobs = { ...s.jobs };
        delete jobs[d.job];
        // A failed open has its own banner; this window's exports report their own outcome.
        const mine = ownJobs.delete(d.job);
        const byUs = cancelled.delete(d.job);
        const quiet = d.ok || d.method === 'open' || mine || (d.code === 'cancelled' && !byUs);
        const notice = quiet ? s.notice : d.code === 'cancelled' ? `${d.method} cancelled; nothing was written` : `${d.method} failed: ${d.error}`;
        return { jobs, notice };
      }),
    );

    return {
      jobs: {},
      exportOpen: false,

      setExportOpen: (exportOpen) => set({ exportOpen }),
      cancelJob(id) {
        cancelled.add(id);
        void client.cancel({ job: id }).catch(() => {});
      },
      resolveDest(path) {
        const info = get().info;
        return client.resolvePath({ path, base: info ? folderOf(info.path) : undefined });
      },
      async runExport(kind, scope, dest) {
        const { info, query, replay } = get();
        if (!info) return 'no ledger is open';
        const job = crypto.randomUUID();
        ownJobs.add(job);
        set((s) => ({ jobs: { ...s.jobs, [job]: { id: job, method: kind === 'snapshot' ? 'snapshot' : 'exportJsonl', done: 0, total: 0, unit: '' } } }));
        try {
          if (kind === 'jsonl') await client.exportJsonl({ ledger: info.ledger, dir: dest, query: scope === 'filter' ? query : undefined }, { job });
          else if (scope === 'replay' && replay?.at?.event) await client.snapshot({ ledger: info.ledger, dest, up_to_offset: replay.at.event.offset }, { job });
          else await client.snapshot({ ledger: info.ledger, dest, runs: scope === 'filter' ? query.runs : undefined }, { job });
          const marks = get().bookmarks;
          if (kind === 'jsonl' && marks.length) {
            const side = `${dest.replace(/[\\/]+$/, '')}.bookmarks.json`;
            await client.saveBookmarks({ ledger: info.ledger, dest: side, offsets: marks });
            set({ notice: `Exported to ${dest}; bookmarks in ${side}` });
          } else set({ notice: `Exported to ${dest}` });
          return null;
        } catch (e) {
          if (isCancelled(e)) set({ notice: 'Export cancelled; nothing was written' });
          return isCancelled(e) ? 'Export cancelled; nothing was written' : `Export failed: ${message(e)}`;
        }
      },
      resetJobs: () => set({ exportOpen: false }),
    };
  };
