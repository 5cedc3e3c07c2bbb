// The one IPC contract: every call the renderer can make and every event the
// engine pushes, with argument schemas checked at runtime where a message enters
// main (Electron IPC or serve mode's WebSocket) and result types for the client.
import { z } from 'zod';
import { describeIssues, ERROR_CODES, LedgerError, type ErrorCode } from './errors.ts';
import {
  AppendEventSchema,
  FACET_FIELDS,
  MappingSchema,
  PageRequestSchema,
  QuerySchema,
  type AppendResult,
  type FacetValue,
  type Histogram,
  type IndexingState,
  type LedgerEvent,
  type LedgerStats,
  type Page,
  type TableGuess,
} from './ledger.ts';
import { RUN_STATUSES, type DriftRow, type ReplayPosition, type RunDetail, type RunProjection } from './projection.ts';
import { RulesSchema } from './rules-schema.ts';

const id = z.string().min(1).max(100);
const ledger = id;
const path = z.string().min(1).max(4096);
const int = z.number().int();

/** The most events one generate call writes (the CLI checks its --events against it too). */
export const MAX_GENERATED_EVENTS = 100_000_000;

export interface LedgerInfo {
  ledger: string;
  path: string;
  layout: LedgerStats['layout'];
  events: number;
  first_offset: number | null;
  last_offset: number | null;
  appendable: boolean;
  warnings: string[];
  mapping: LedgerStats['mapping'];
  rules: LedgerStats['rules'];
  /** A JSONL store still being indexed: `events` is then what is indexed so far. */
  indexing?: IndexingState | null;
}

/** What a mapping would give: the first rows it reads and the runs they fold into. */
export interface MappingPreview {
  events: LedgerEvent[];
  runs: RunProjection[];
}

export interface Rows {
  /** Position of the first row in the view (0-based). */
  start: number;
  events: LedgerEvent[];
  /** Rows in the view now (it grows while the ledger is followed). */
  total: number;
  /** False while a filter's rows are still being numbered: total is then an estimate. */
  exact: boolean;
  /** A JSONL store still being indexed: the rows cover the indexed part only. */
  indexing?: IndexingState | null;
}

/**
 * Where a call runs. `interactive`: the worker that answers scrolling and stepping, never
 * held up by a long job; `background`: whole-ledger summaries, folds and indexes;
 * `export`: jobs that write files, on a worker of their own so that a fold or an index
 * build never stalls an export's progress or its cancel (and the other way round);
 * `every`: opened or closed on every worker, answered by the interactive one; `host`:
 * answered by the host itself (cancel, the window's state for the shell's menu).
 */
export const LANES = ['interactive', 'background', 'export', 'every', 'host'] as const;
export type Lane = (typeof LANES)[number];

interface CallOptions {
  /** A cancellable job that reports progress. */
  job?: boolean;
  lane?: Lane;
  /** The argument fields that name files or folders: serve mode confines them to its allowed folders. */
  files?: readonly string[];
}

/** call<Result>()(argsSchema, options): the result type is given, the argument type inferred from the schema. */
const call =
  <R,>() =>
  <A extends z.ZodType, O extends CallOptions = {}>(args: A, opts?: O) => ({
    args,
    job: opts?.job ?? false,
    lane: (opts?.lane ?? 'interactive') as O['lane'] extends Lane ? O['lane'] : 'interactive',
    files: opts?.files ?? [],
    result: undefined as unknown as R,
  });

/** Every call: its argument schema, whether it runs as a cancellable job, its lane, the files it names, and its result type. */
export const CALLS = {
  open: call<LedgerInfo>()(
    z.object({ path, mapping: MappingSchema.optional(), rules: RulesSchema.optional() }).strict(),
    { job: true, lane: 'every', files: ['path'] },
  ),
  /** Every table and view of a SQLite file scored as an event log, best first, with its guessed mapping. */
  tables: call<TableGuess[]>()(z.object({ path }).strict(), { files: ['path'] }),
  /** The first rows and runs a mapping (else the file's own layout) and rules would give, without saving anything. */
  previewMapping: call<MappingPreview>()(z.object({ path, mapping: MappingSchema.optional(), rules: RulesSchema.optional() }).strict(), {
    lane: 'background',
    files: ['path'],
  }),
  /** Saves (null: forgets) the mapping and rules of a file, in the app's data folder; opening it then uses them. */
  saveMapping: call<null>()(z.object({ path, mapping: MappingSchema.nullable(), rules: RulesSchema.nullable() }).strict(), { files: ['path'] }),
  close: call<null>()(z.object({ ledger }).strict(), { lane: 'every' }),
  info: call<LedgerInfo>()(z.object({ ledger }).strict()),
  stats: call<LedgerStats>()(z.object({ ledger }).strict(), { job: true, lane: 'background' }),
  rows: call<Rows>()(
    z.object({ ledger, query: QuerySchema.optional(), start: int.nonnegative(), count: int.min(1).max(2000) }).strict(),
  ),
  locate: call<{ position: number; offset: number | null }>()(
    z.object({ ledger, query: QuerySchema.optional(), offset: int }).strict(),
  ),
  page: call<Page>()(z.object({ ledger, request: PageRequestSchema }).strict()),
  event: call<LedgerEvent | null>()(z.object({ ledger, offset: int }).strict()),
  count: call<number>()(z.object({ ledger, query: QuerySchema.optional() }).strict(), { job: true, lane: 'background' }),
  facets: call<FacetValue[]>()(
    // exact: counts even where the store first answers with the planner's estimates (a big PostgreSQL table).
    z.object({ ledger, field: z.enum(FACET_FIELDS), query: QuerySchema.optional(), limit: int.min(1).max(10_000).optional(), exact: z.boolean().optional() }).strict(),
    { lane: 'background' },
  ),
  histogram: call<Histogram>()(z.object({ ledger, query: QuerySchema.optional(), buckets: int.min(1).max(2000).optional() }).strict(), {
    lane: 'background',
  }),
  append: call<AppendResult>()(
    z.object({ ledger, events: z.array(AppendEventSchema).min(1).max(100_000) }).strict(),
  ),
  runs: call<RunProjection[]>()(z.object({ ledger, status: z.enum(RUN_STATUSES).optional() }).strict(), { job: true, lane: 'background' }),
  run: call<RunDetail>()(z.object({ ledger, run_id: z.string().min(1) }).strict()),
  /** Every difference from the ledger's stored runs/node_runs tables; null where it has none. */
  drift: call<DriftRow[] | null>()(z.object({ ledger }).strict(), { job: true, lane: 'background' }),
  replayOpen: call<{ replay: string; steps: number }>()(
    z.object({ ledger, run_id: z.string().min(1) }).strict(),
    { job: true },
  ),
  replayAt: call<ReplayPosition>()(z.object({ replay: id, step: int.nonnegative() }).strict()),
  replayFind: call<number | null>()(
    z
      .object({ replay: id, from: int.nonnegative(), dir: z.union([z.literal(1), z.literal(-1)]), kind: z.string().optional(), failure: z.boolean().optional(), node: z.string().optional() })
      .strict(),
  ),
  snapshot: call<{ dest: string }>()(
    z.object({ ledger, dest: path, up_to_offset: int.optional(), runs: z.array(z.string()).optional() }).strict(),
    { job: true, lane: 'export', files: ['dest'] },
  ),
  exportJsonl: call<{ events: number; files: number }>()(
    z.object({ ledger, dir: path, query: QuerySchema.optional() }).strict(),
    { job: true, lane: 'export', files: ['dir'] },
  ),
  importJsonl: call<{ events: number; duplicates: number; warnings: string[] }>()(
    z.object({ src: path, dest: path }).strict(),
    { job: true, lane: 'export', files: ['src', 'dest'] },
  ),
  /** Builds or extends the full-text index of a ledger (text filters use it once it is ready). */
  indexText: call<{ pending: number }>()(z.object({ ledger }).strict(), { job: true, lane: 'background' }),
  search: call<Page & { indexed: boolean }>()(
    z.object({ ledger, request: PageRequestSchema }).strict(),
    { job: true, lane: 'background' },
  ),
  follow: call<null>()(z.object({ ledger, follow: z.boolean() }).strict()),
  cancel: call<null>()(z.object({ job: id }).strict(), { lane: 'host' }),
  generate: call<{ events: number; runs: number }>()(
    z.object({ dest: path, events: int.min(1).max(MAX_GENERATED_EVENTS), runs: int.min(1).optional(), seed: int.optional(), overwrite: z.boolean().optional() }).strict(),
    { job: true, lane: 'export', files: ['dest'] },
  ),
  /**
   * A path as the engine will use it: ~ expanded, a relative path taken from base (else the
   * home folder). Worked out from the name alone: it reads nothing on disk, so names no file.
   */
  resolvePath: call<{ path: string }>()(z.object({ path, base: path.optional() }).strict(), { lane: 'interactive' }),
  /** Writes the bookmarked events of a ledger (offset, id, run, kind, time) to a JSON file, e.g. beside a JSONL export. */
  saveBookmarks: call<{ dest: string; bookmarks: number }>()(z.object({ ledger, dest: path, offsets: z.array(int).max(100_000) }).strict(), {
    lane: 'interactive',
    files: ['dest'],
  }),
  /** Values the window keeps per ledger or layout (views, bookmarks, columns) in the app's data folder; a scope is a key, not a file. */
  prefs: call<Record<string, unknown>>()(z.object({ scope: path }).strict(), { lane: 'interactive' }),
  /** Sets one of those values; null removes it. */
  setPref: call<null>()(z.object({ scope: path, key: z.string().min(1).max(100), value: z.json() }).strict(), { lane: 'interactive' }),
  /** What the window shows, so the shell can enable its menu items; the engine ignores it. */
  uiState: call<null>()(
    z.object({ ledger: id.nullable(), path: path.nullable(), layout: z.string().nullable(), replay_offset: int.nullable(), jobs: int.nonnegative() }).strict(),
    { lane: 'host' },
  ),
} as const;

export type Method = keyof typeof CALLS;
export const METHODS = Object.keys(CALLS) as Method[];
export type Args<M extends Method> = z.input<(typeof CALLS)[M]['args']>;
export type Result<M extends Method> = (typeof CALLS)[M]['result'];
export const isJob = (m: Method) => CALLS[m].job;
export const laneOf = (m: Method): Lane => CALLS[m].lane;
/** The calls a worker answers (the host answers the rest itself). */
export type WorkerMethod = { [M in Method]: (typeof CALLS)[M]['lane'] extends 'host' ? never : M }[Method];

/** Calls only the desktop shell answers, in Electron's main process; a browser tab has no such host. */
export const SHELL_CALLS = {
  /** Writes text to the system clipboard (the window's own clipboard permission stays denied). */
  copyText: call<null>()(z.object({ text: z.string().max(256 * 1024 * 1024) }).strict()),
  /** The native dialog for an export's destination: a new file, or a folder; null when cancelled. */
  chooseExportPath: call<string | null>()(z.object({ kind: z.enum(['snapshot', 'jsonl']) }).strict()),
} as const;
export type ShellMethod = keyof typeof SHELL_CALLS;
export type ShellArgs<M extends ShellMethod> = z.input<(typeof SHELL_CALLS)[M]['args']>;
export type ShellResult<M extends ShellMethod> = (typeof SHELL_CALLS)[M]['result'];

/** Events the engine pushes, unasked. */
export const EVENTS = {
  /** New events in a followed ledger. */
  tail: z.object({ ledger, last_offset: int, added: int.nonnegative() }),
  /** A followed ledger went away or was replaced. */
  tailError: z.object({ ledger, code: z.string(), message: z.string() }),
  /** A JSONL store's index grew (null once it is complete): rows, totals, facets and runs have more to show. */
  indexing: z.object({
    ledger,
    last_offset: int.nullable(),
    state: z.object({ percent: z.number(), indexed_events: int, estimated_events: int }).nullable(),
  }),
  progress: z.object({ job: id, method: z.string(), done: z.number(), total: z.number(), unit: z.string() }),
  jobDone: z.object({ job: id, method: z.string(), ok: z.boolean(), code: z.enum(ERROR_CODES).optional(), error: z.string().optional() }),
  /** The shell asks the window to do something: open a path (menu, drop, command line, second launch), close. */
  command: z.discriminatedUnion('command', [
    /** notice: a line for the window's notice bar once the ledger is open (the first launch's welcome). */
    z.object({ command: z.literal('open'), path, mapping: MappingSchema.optional(), notice: z.string().optional() }),
    z.object({ command: z.literal('close') }),
    z.object({ command: z.literal('theme'), theme: z.enum(['light', 'dark', 'system']) }),
    z.object({ command: z.literal('toggle-detail') }),
    /** Show the Connect to PostgreSQL dialog. */
    z.object({ command: z.literal('connect') }),
  ]),
} as const;
export type EventName = keyof typeof EVENTS;
export type EventPayload<E extends EventName> = z.infer<(typeof EVENTS)[E]>;

/** What crosses a transport: a request, its answer, or a pushed event. */
export interface Request {
  id: number;
  method: string;
  args: unknown;
  /** Set by the client for job calls: progress and cancel refer to it. */
  job?: string;
}
export type Response = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { code: ErrorCode; message: string } };
export interface Push {
  event: EventName;
  payload: unknown;
}

/**
 * The one way an error becomes a response: a LedgerError keeps its code and message;
 * anything else is an internal error with its message (never a stack).
 */
export function errorResponse(id: number, e: unknown): Response & { ok: false } {
  const err = e instanceof LedgerError ? e : new LedgerError('internal', (e as Error)?.message ?? String(e));
  return { id, ok: false, error: { code: err.code, message: err.message } };
}

function check<T extends Record<string, { args: z.ZodType }>>(calls: T, msg: unknown): { method: keyof T & string; args: unknown; job?: string } {
  if (!msg || typeof msg !== 'object') throw new LedgerError('invalid_argument', 'a request must be an object');
  const { method, args, job } = msg as Request;
  if (typeof method !== 'string' || !Object.hasOwn(calls, method)) throw new LedgerError('invalid_argument', `unknown method: ${String(method)}`);
  let parsed: z.ZodSafeParseResult<unknown>;
  try {
    parsed = calls[method]!.args.safeParse(args);
  } catch (e) {
    // The schema walks a JSON value level by level: one nested thousands deep overflows the stack.
    if (e instanceof RangeError) throw new LedgerError('invalid_argument', `${method}: a value is nested too deeply`);
    throw e;
  }
  if (!parsed.success) throw new LedgerError('invalid_argument', `${method}: ${describeIssues(parsed.error.issues)}`);
  if (job !== undefined && (typeof job !== 'string' || !job || job.length > 100)) throw new LedgerError('invalid_argument', `${method}: bad job id`);
  return { method, args: parsed.data, job };
}

/** Checks a request against the contract; the typed error names the method and the bad field. */
export function validateRequest(msg: unknown): { method: Method; args: unknown; job?: string } {
  return check(CALLS, msg);
}

/** The same check for the shell's own calls. */
export function validateShellRequest(msg: unknown): { method: ShellMethod; args: unknown } {
  return check(SHELL_CALLS, msg);
}

/** The client every UI talks through: one async method per call, plus pushed events. */
export type Client = {
  [M in Method]: (args: Args<M>, opts?: { job?: string }) => Promise<Result<M>>;
} & {
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void;
};

/** A transport moves requests and pushes; the client is built on it from the contract. */
export interface Transport {
  request(req: Request): Promise<Response>;
  subscribe(handler: (push: Push) => void): () => void;
}

export class RemoteError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'RemoteError';
    this.code = code;
  }
}

/** Builds the Client from the contract's method list over any transport. */
export function createClient(transport: Transport): Client {
  let next = 1;
  const handlers = new Map<EventName, Set<(p: unknown) => void>>();
  transport.subscribe((push) => handlers.get(push.event)?.forEach((h) => h(push.payload)));
  const client = {
    on(event: EventName, handler: (p: unknown) => void) {
      const set = handlers.get(event) ?? new Set();
      set.add(handler);
      handlers.set(event, set);
      return () => set.delete(handler);
    },
  } as Record<string, unknown>;
  for (const method of METHODS) {
    client[method] = async (args: unknown, opts?: { job?: string }) => {
      const res = await transport.request({ id: next++, method, args, job: opts?.job });
      if (!res.ok) throw new RemoteError(res.error.code, res.error.message);
      return res.result;
    };
  }
  return client as unknown as Client;
}
