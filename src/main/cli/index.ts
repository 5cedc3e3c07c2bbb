// ledger-inspector: the command line over the same engine the app uses.
import { Command, CommanderError, Option } from 'commander';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { describeIssues, LedgerError } from '../../shared/errors.ts';
import { MappingSchema, QuerySchema, type LedgerEvent, type Mapping, type PageRequest, type Query } from '../../shared/ledger.ts';
import { RUN_STATUSES, type LedgerRules, type RunStatus } from '../../shared/projection.ts';
import { MAX_GENERATED_EVENTS } from '../../shared/contract.ts';
import { formatBytes, formatMs } from '../../shared/format.ts';
import { readEventLines } from '../engine/write/append.ts';
import { createCanonical } from '../engine/write/create-ledger.ts';
import { openStore, type Store } from '../engine/open/open-store.ts';
import { isPgUrl, withTable } from '../engine/pg/pg-url.ts';
import { Projector } from '../engine/derive/projector.ts';
import { Replay } from '../engine/derive/replay.ts';
import { Follower } from '../engine/derive/tail.ts';
import { TextIndex } from '../engine/derive/text-index.ts';
import { UsageError, whole } from './flags.ts';
import { HostJobs } from './host-jobs.ts';
import { onInterrupt } from './interrupt.ts';
import { formatOf, listEvents, listRecords, pagesOf } from './listing.ts';
import { eventLine, printReplay, printRun, printStats, RUNS_HEADER, runLine } from './output.ts';
import { OutputClosed, quietOnClosedPipe, Sink } from './sink.ts';

// In place: a list given 40,000 times over must not cost 40,000 copies of itself.
const collect = (v: string, prev?: string[]) => {
  const list = prev ?? [];
  list.push(v);
  return list;
};
const MAP_SYNTAX =
  '--map table=NAME,order=COLUMN,run=COLUMN,kind=COLUMN[,time=COLUMN,time_format=iso|unix_s|unix_ms|sqlite,payload=COLUMN,id=COLUMN,actor=COLUMN,seq=COLUMN,session=COLUMN,model=COLUMN,node=COLUMN]';

interface Common {
  json?: boolean;
  table?: string;
  cacheDir?: string;
  map?: string;
  rules?: string;
}

function parseMapping(spec: string | undefined): Mapping | undefined {
  if (!spec) return undefined;
  // A file's contents are a bad input (exit 1, naming the file); the flag's own text a bad command line (exit 2).
  const file = fs.existsSync(spec) && spec.endsWith('.json') ? spec : undefined;
  const refuse = (why: string) => (file ? new LedgerError('invalid_argument', `--map: ${why}`, file) : new UsageError(`--map: ${why}`));
  let given: unknown;
  if (file || spec.trimStart().startsWith('{')) {
    try {
      given = JSON.parse(file ? fs.readFileSync(file, 'utf8') : spec);
    } catch (e) {
      throw refuse(`${file ? 'the file is not JSON' : 'not valid JSON'} (${(e as Error).message.split('\n')[0]})`);
    }
  } else {
    const pairs: Record<string, string> = {};
    for (const part of spec.split(',')) {
      const [k, v, extra] = part.split('=');
      if (!k?.trim() || !v?.trim() || extra !== undefined) throw new UsageError(`--map takes key=column pairs separated by commas, not "${part}"`);
      pairs[k.trim()] = v.trim();
    }
    given = pairs;
  }
  const mapping = MappingSchema.safeParse(given);
  if (!mapping.success) {
    const has = (k: PropertyKey) => typeof given === 'object' && given !== null && k in given;
    const missing = mapping.error.issues.filter((i) => i.path.length === 1 && !has(i.path[0]!)).map((i) => String(i.path[0]));
    throw refuse(missing.length ? `missing ${missing.join(', ')} (${MAP_SYNTAX})` : describeIssues(mapping.error.issues));
  }
  return given as Mapping;
}

/** --rules FILE: a ledger's own projection rules, as JSON (checked when the ledger opens). */
function readRules(file: string | undefined): LedgerRules | undefined {
  if (!file) return undefined;
  const text = readInput(file);
  try {
    return JSON.parse(text) as LedgerRules;
  } catch (e) {
    throw new LedgerError('invalid_argument', `the rules file is not JSON: ${(e as Error).message.split('\n')[0]}`, file);
  }
}

/** What to open: a postgres:// URL takes --table into the URL (?table=), which is how the engine hears it. */
function target(p: string, o: Common): string {
  if (o.table === undefined) return p;
  if (!isPgUrl(p)) throw new UsageError('--table is for postgres:// URLs; a ledger file names its table with --map');
  return withTable(p, o.table);
}

function open(p: string, o: Common, opts: { progressive?: boolean } = {}): Store {
  return openStore(target(p, o), { cacheDir: o.cacheDir, mapping: parseMapping(o.map), rules: readRules(o.rules), ...opts });
}

/** Filters shared by query, export and tail. */
function withFilters(cmd: Command): Command {
  return cmd
    .option('--run <id>', 'only this run (repeatable)', collect)
    .option('--kind <kind>', 'only this kind (repeatable)', collect)
    .option('--exclude-kind <kind>', 'leave out this kind (repeatable)', collect)
    .option('--actor <actor>', 'only this actor (repeatable)', collect)
    .option('--session <id>', 'only this session (repeatable)', collect)
    .option('--model <id>', 'only this model (repeatable)', collect)
    .option('--from <time>', 'events at or after this ISO time')
    .option('--to <time>', 'events at or before this ISO time')
    .option('--offset-from <n>', 'events at or after this offset', whole('--offset-from', 0))
    .option('--offset-to <n>', 'events at or before this offset', whole('--offset-to', 0))
    .option('--since-seq <n>', 'events of the one --run after this seq', whole('--since-seq', 0))
    .option('--text <text>', 'payload contains this text')
    .option('--where <path=value>', 'payload JSON path equals a value, e.g. $.node_id=embed or $.attempt=2');
}

function queryFrom(o: Record<string, unknown>, names: Record<string, string> = {}): Query {
  const q: Record<string, unknown> = {
    runs: o.run,
    kinds: o.kind,
    exclude_kinds: o.excludeKind,
    actors: o.actor,
    sessions: o.session,
    models: o.model,
    time_from: o.from,
    time_to: o.to,
    offset_from: o.offsetFrom,
    offset_to: o.offsetTo,
    since_seq: o.sinceSeq,
    text: o.text,
  };
  if (typeof o.where === 'string') {
    const i = o.where.indexOf('=');
    if (i < 1) throw new UsageError(`--where takes $.path=value, not "${o.where}"`);
    const raw = o.where.slice(i + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // A bare word is a string.
    }
    if (value !== null && typeof value === 'object') value = raw;
    q.json_path = { path: o.where.slice(0, i), value };
  }
  for (const k of Object.keys(q)) if (q[k] === undefined) delete q[k];
  checkFilters(q, o, { ...FILTER_FLAGS, ...names });
  return q as Query;
}

/** The flag each query field comes from. */
const FILTER_FLAGS: Record<string, string> = {
  runs: '--run',
  kinds: '--kind',
  exclude_kinds: '--exclude-kind',
  actors: '--actor',
  sessions: '--session',
  models: '--model',
  time_from: '--from',
  time_to: '--to',
  offset_from: '--offset-from',
  offset_to: '--offset-to',
  since_seq: '--since-seq',
  text: '--text',
  json_path: '--where',
};

/**
 * The filters checked by the engine's own rules (QuerySchema) before anything opens: a
 * filter it would refuse is a bad command line (exit 2), said as the flag given.
 */
function checkFilters(q: Record<string, unknown>, o: Record<string, unknown>, names: Record<string, string>): void {
  const parsed = QuerySchema.safeParse(q);
  if (parsed.success) return;
  const issue = parsed.error.issues[0]!;
  const [key, index] = issue.path;
  const flag = names[String(key)];
  if (!flag) throw new UsageError(`bad filters: ${describeIssues(parsed.error.issues)}`);
  let given = key === 'json_path' ? o.where : q[String(key)];
  if (Array.isArray(given)) given = typeof index === 'number' ? given[index] : undefined;
  const text = typeof given === 'string' || typeof given === 'number' ? String(given) : null;
  const shown = text === null ? '' : ` "${text.length > 60 ? `${text.slice(0, 40)}…` : text}"`;
  throw new UsageError(`${flag}${shown}: ${issue.message}`);
}

const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

/** JSON for --json, else the human form. */
function emit<T>(o: Common, value: T, human: (v: T) => void): void {
  if (o.json) out(value);
  else human(value);
}

const EXIT_CODES = `
Exit codes:
  0    done (also when the reader of the output went away, as with | head)
  1    a bad input: a missing, unreadable or unrecognised file, a refused event
  2    a bad command line: an unknown command or option, a flag out of range
  70   an internal error (a bug: please report it)
  130  interrupted (Ctrl+C or SIGTERM) during a job (open, export, snapshot, fold...): it was
       cancelled and its partial files removed; any other command ends at once, by the
       signal itself (a shell shows 130, or 143 for SIGTERM); tail and serve exit 0`;

/** The package's version, from the package.json above this module (source or built). */
function version(): string {
  for (let dir = import.meta.dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** What runs the current command's long jobs, once its --cache-dir is known. */
let jobs: HostJobs = new HostJobs(undefined);

/** The ledger opened in the engine host (a JSONL store indexed there, cancellable); its id there. */
async function hostOpen(p: string, o: Common): Promise<string> {
  let info = await jobs.run('open', { path: target(p, o), mapping: parseMapping(o.map), rules: readRules(o.rules) }, 'open');
  // A JSONL store opens with its first rows; every answer but query's is over the whole store.
  while (info.indexing) {
    await sleep(INDEX_POLL_MS);
    info = await jobs.call('info', { ledger: info.ledger });
  }
  return info.ledger;
}

/** Opens the ledger in this thread, after the host has built any index it needs (so that is cancellable). */
async function openHere(p: string, o: Common): Promise<Store> {
  if (isJsonlPath(p)) await hostOpen(p, o);
  return open(p, o);
}

const isJsonlPath = (p: string) => {
  try {
    return fs.statSync(p).isDirectory() || /\.jsonl$/i.test(p);
  } catch {
    return false;
  }
};

/** Waits, hearing signals, until a JSONL store being indexed has every row. */
async function whenIndexed(ledger: Store): Promise<void> {
  while (ledger.indexing()) await sleep(INDEX_POLL_MS);
}

/** A forward walk over a store still being indexed: what is indexed, then, once caught up, the rest as it comes. */
async function* untilIndexed(ledger: Store, query: Query, after?: number): AsyncGenerator<LedgerEvent> {
  let last = after;
  for (;;) {
    const building = ledger.indexing() !== null;
    for (const e of ledger.iterate(query, last)) {
      last = e.offset;
      yield e;
    }
    if (!building) return;
    await sleep(INDEX_POLL_MS);
  }
}
const INDEX_POLL_MS = 50;

/** --limit N, or every event with --all; `fallback` when neither is given. */
function limitOf(o: Record<string, unknown>, fallback: number): number {
  if (o.all && o.limit !== undefined) throw new UsageError('give --limit or --all, not both');
  return o.all ? Infinity : ((o.limit as number | undefined) ?? fallback);
}

const listingOptions = (cmd: Command) =>
  cmd
    .option('--limit <n>', 'how many at most (default 50 for events)', whole('--limit', 1))
    .option('--all', 'every match, however many (streamed)')
    .option('--json', 'machine-readable output: one JSON document')
    .option('--jsonl', 'machine-readable output: one JSON object a line');

export function buildProgram(): Command {
  const program = new Command('ledger-inspector')
    .description('Inspect append-only event ledgers: SQLite ledgers of several layouts and JSONL stores')
    .version(version(), '-V, --version', 'print the version')
    .addOption(new Option('--cache-dir <dir>', 'where indexes and caches go (default: the platform cache folder)').env('LEDGER_INSPECTOR_CACHE'))
    .option('--map <spec>', 'column mapping for a table of another shape: table=T,order=C,run=C,kind=C[,time=C,payload=C,...] or a .json file')
    .addHelpText('after', EXIT_CODES)
    // One line, with where to look: `ledger-inspector: unknown option '--x' (ledger-inspector help lists ...)`.
    .configureOutput({ outputError: (text, write) => write(`ledger-inspector: ${text.replace(/^error: /, '').trimEnd()} (ledger-inspector help <command> lists its options)\n`) })
    .option('--rules <file.json>', "the ledger's own projection rules: {kinds: [{match, entity, transition}], node}")
    .option('--table <name>', 'for a postgres:// URL: the table that holds the events (default: the one the layouts or the detector find)')
    .exitOverride();
  const common = (cmd: Command) => ({ ...program.opts(), ...cmd.opts() }) as Common & Record<string, unknown>;

  program
    .command('stats <path>')
    .description('layout, event and run counts, offsets, times and kinds of a ledger')
    .option('--json', 'machine-readable output')
    .action(async (p: string, _o, cmd: Command) => {
      const o = common(cmd);
      const stats = await jobs.run('stats', { ledger: await hostOpen(p, o) }, 'stats');
      emit(o, stats, printStats);
    });

  withFilters(
    listingOptions(
      program
        .command('query <path>')
        .description('events in ledger order: a page (--limit, default 50) or all of them (--all), streamed')
        .option('--after <offset>', 'start after this offset', whole('--after', 0))
        .option('--before <offset>', 'the events ending before this offset', whole('--before', 0))
        .option('--last', 'the last events')
        .option('--full', 'whole payloads instead of previews'),
    ),
  ).action(async (p: string, _o, cmd: Command) => {
    const o = common(cmd);
    if (o.after !== undefined && (o.before !== undefined || o.last)) throw new UsageError(`--after reads forward from an offset, and ${o.last ? '--last' : '--before'} backward: give one of them`);
    const limit = limitOf(o, 50);
    const format = formatOf(o);
    const query = queryFrom(o);
    // A JSONL store not indexed yet opens once its first rows are in; they come in their
    // final order, so a forward listing starts at once and waits only where it catches up.
    const progressive = isJsonlPath(p);
    const ledger = progressive ? open(p, o, { progressive: true }) : await openHere(p, o);
    try {
      const payload = o.full || format !== 'human' ? 'full' : 'preview';
      const backward = limit !== Infinity && (o.before !== undefined || !!o.last);
      if (backward) await whenIndexed(ledger);
      await listEvents(
        (after) => (progressive ? untilIndexed(ledger, query, after) : ledger.iterate(query, after)),
        (req) => ledger.page({ query, payload, ...req }),
        { limit, after: o.after as number | undefined, before: backward ? (o.before as number | undefined) : undefined, last: backward && !!o.last },
        format,
      );
      // Finished rather than left half built (closing stops a build), so the next command finds it complete.
      await whenIndexed(ledger);
    } finally {
      ledger.close();
    }
  });

  program
    .command('append <path>')
    .description('append events (JSON lines) to a canonical ledger, creating it when new; payloads are stored as written')
    .option('--file <events.jsonl>', 'read events from this file instead of standard input')
    .option('--mirror <dir>', 'also write each appended event to <dir>/<run_id>.jsonl')
    .option('--max-payload <bytes>', 'largest payload accepted', whole('--max-payload', 1))
    .option('--json', 'machine-readable output')
    .action((p: string, _o, cmd: Command) => {
      const o = common(cmd);
      const input = (o.file as string | undefined) ?? '-';
      const { events, payloadTexts } = readEventLines(readInput(input), input === '-' ? 'standard input' : input);
      if (!isPgUrl(p) && !fs.existsSync(p)) createCanonical(p);
      const ledger = open(p, o);
      try {
        const res = ledger.append(events, { mirrorDir: o.mirror as string | undefined, maxPayloadBytes: o.maxPayload as number | undefined, payloadTexts });
        if (o.json) out(res);
        else console.log(`appended ${res.appended}, already present ${res.duplicates}`);
      } finally {
        ledger.close();
      }
    });

  program
    .command('import-jsonl <src> <dest>')
    .description('write a JSONL store (folder or file) as a new canonical ledger')
    .option('--json', 'machine-readable output')
    .action(async (src: string, dest: string, _o, cmd: Command) => {
      const o = common(cmd);
      const res = await jobs.run('importJsonl', { src: path.resolve(src), dest: path.resolve(dest) }, 'import');
      if (o.json) {
        out(res);
        return;
      }
      console.log(`imported ${res.events} events into ${dest}${res.duplicates ? ` (${res.duplicates} duplicate ids skipped)` : ''}`);
      for (const w of res.warnings.slice(0, 20)) console.error(`warning: ${w}`);
      if (res.warnings.length > 20) console.error(`warning: ${res.warnings.length - 20} more`);
    });

  withFilters(
    program
      .command('export-jsonl <path> <dir>')
      .description('write a ledger (or the events matching the filters) as a JSONL store, one file per run')
      .option('--json', 'machine-readable output'),
  ).action(async (p: string, dir: string, _o, cmd: Command) => {
    const o = common(cmd);
    const query = queryFrom(o);
    const res = await jobs.run('exportJsonl', { ledger: await hostOpen(p, o), dir: path.resolve(dir), query }, 'export');
    emit(o, res, (r) => console.log(`exported ${r.events} events into ${r.files} files in ${dir}`));
  });

  program
    .command('generate <dest>')
    .description('write a realistic synthetic ledger')
    .requiredOption('--events <n>', `how many events (1 to ${MAX_GENERATED_EVENTS.toLocaleString('en-US')})`, whole('--events', 1, MAX_GENERATED_EVENTS))
    .option('--runs <n>', 'how many runs (default: one per 200 events)', whole('--runs', 1))
    .option('--seed <n>', 'random seed', whole('--seed'), 1)
    .option('--force', 'replace the destination if it exists')
    .option('--json', 'machine-readable output')
    .action(async (dest: string, _o, cmd: Command) => {
      const o = common(cmd);
      const started = performance.now();
      const res = await jobs.run('generate', { dest: path.resolve(dest), events: o.events as number, runs: o.runs as number | undefined, seed: o.seed as number, overwrite: !!o.force }, 'generate');
      if (o.json) out({ ...res, path: path.resolve(dest) });
      else console.log(`wrote ${res.events} events in ${res.runs} runs to ${dest} (${formatBytes(fs.statSync(dest).size)}, ${formatMs(performance.now() - started)})`);
    });

  listingOptions(
    program
      .command('runs <path>')
      .description('every run rebuilt from its events: status, workflow, times, event counts')
      .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES)),
  ).action(async (p: string, _o, cmd: Command) => {
    const o = common(cmd);
    const limit = limitOf(o, Infinity);
    const runs = await jobs.run('runs', { ledger: await hostOpen(p, o), status: o.status as RunStatus | undefined }, 'fold');
    await listRecords(runs.slice(0, limit), formatOf(o), runLine, RUNS_HEADER);
    if (formatOf(o) === 'human') console.error(`${runs.length} runs${runs.some((r) => r.status_derived) ? ' (* status derived from node-runs)' : ''}`);
  });

  program
    .command('run <path> <run-id>')
    .description('one run and its node-runs, with drift from stored runs/node_runs tables where the ledger has them')
    .option('--json', 'machine-readable output')
    .option('--jsonl', 'its node-runs, one JSON object a line')
    .action(async (p: string, runId: string, _o, cmd: Command) => {
      const o = common(cmd);
      const ledger = await openHere(p, o);
      try {
        const detail = new Projector(ledger).run(runId);
        if (o.jsonl) await listRecords(detail.node_runs, 'jsonl', () => '');
        else emit(o, detail, printRun);
      } finally {
        ledger.close();
      }
    });

  program
    .command('replay <path> <run-id>')
    .description('the state of a run after step K of its replay (0 = before its first event)')
    .requiredOption('--step <k>', 'the step', whole('--step', 0))
    .option('--json', 'machine-readable output: {step, steps, event, state: {run, node_runs}, changed}')
    .action(async (p: string, runId: string, _o, cmd: Command) => {
      const o = common(cmd);
      const ledger = await openHere(p, o);
      try {
        emit(o, Replay.open(ledger, runId).at(o.step as number), printReplay);
      } finally {
        ledger.close();
      }
    });

  program
    .command('snapshot <path> <dest>')
    .description('copy the ledger to a new file: whole (consistent while it is written) or up to an offset and/or for chosen runs')
    .option('--up-to-offset <n>', 'only events up to this offset (the ledger as of a replay step)', whole('--up-to-offset', 0))
    .option('--run <id>', 'only this run (repeatable)', collect)
    .option('--json', 'machine-readable output: {path, bytes}')
    .action(async (p: string, dest: string, _o, cmd: Command) => {
      const o = common(cmd);
      const file = path.resolve(dest);
      await jobs.run('snapshot', { ledger: await hostOpen(p, o), dest: file, up_to_offset: o.upToOffset as number | undefined, runs: o.run as string[] | undefined }, 'snapshot');
      const bytes = fs.statSync(file).size;
      emit(o, { path: file, bytes }, () => console.log(`wrote ${dest} (${formatBytes(bytes)})`));
    });

  withFilters(
    program
      .command('tail <path>')
      .description('print the last events, then new ones as other processes append them, until interrupted (exit 0)')
      .option('--lines <n>', 'how many existing events to print first', whole('--lines', 0), 10)
      .option('--json', 'one JSON event per line (the same as --jsonl)')
      .option('--jsonl', 'one JSON event per line'),
  ).action(async (p: string, _o, cmd: Command) => {
    const o = common(cmd);
    const query = queryFrom(o);
    const ledger = await openHere(p, o);
    const format = o.json || o.jsonl ? 'jsonl' : 'human';
    const lines = o.lines as number;
    const payload = format === 'human' ? 'preview' : 'full';
    const page = (req: Omit<PageRequest, 'query' | 'payload'>) => ledger.page({ query, payload, ...req });
    const shown = lines > 0 ? await listEvents((after) => pagesOf(page, after), page, { limit: lines, last: true, hint: false }, format) : null;
    const sink = new Sink();
    let stopHearing = () => {};
    await new Promise<void>((resolve, reject) => {
      const follower = new Follower(ledger, {
        query,
        after: shown ?? ledger.lastOffset(),
        onEvents: (events) => {
          for (const e of events) sink.line(format === 'human' ? eventLine(e) : JSON.stringify(e));
          sink.flush(true).catch(reject);
        },
        onError: (err) => {
          ledger.close();
          reject(err);
        },
      }).start();
      stopHearing = onInterrupt(() => {
        follower.stop();
        ledger.close();
        resolve();
      });
    }).finally(() => stopHearing());
  });

  withFilters(
    listingOptions(
      program
        .command('search <path> <text>')
        .description('events whose payload contains the text, through a full-text index kept in the cache folder (built or extended first)')
        .option('--after <offset>', 'start after this offset', whole('--after', 0)),
    ),
  ).action(async (p: string, text: string, _o, cmd: Command) => {
    const o = common(cmd);
    const limit = limitOf(o, 50);
    const format = formatOf(o);
    const query = queryFrom({ ...o, text }, { text: 'the search text' });
    await jobs.run('indexText', { ledger: await hostOpen(p, o) }, 'index');
    const ledger = open(p, o);
    const index = new TextIndex(ledger);
    try {
      const payload = format === 'human' ? 'preview' : 'full';
      let indexed = false;
      const page = (req: Omit<PageRequest, 'query' | 'payload'>) => {
        const p = index.search({ query, payload, ...req });
        indexed = p.indexed;
        return p;
      };
      await listEvents((after) => pagesOf(page, after), page, { limit, after: o.after as number | undefined, extra: () => ({ indexed }) }, format);
    } finally {
      index.close();
      ledger.close();
    }
  });

  program
    .command('serve <path>')
    .description('serve the app to a browser on 127.0.0.1, with the ledger open; the printed URL carries the access token; Ctrl+C stops it (exit 0)')
    .option('--port <port>', 'port to listen on (default: any free one)', whole('--port', 0, 65535), 0)
    .option('--allow-dir <folder>', 'a folder the app may also open, import from and export into (repeatable; the ledger\'s folder and the cache folder always are)', collect)
    .option('--json', 'print {url} as JSON')
    .action(async (p: string, _o, cmd: Command) => {
      const o = common(cmd);
      // Loaded here: the web server and its WebSocket library cost every other command's start-up time.
      const { serve } = await import('../serve/server.ts');
      const { url, close } = await serve({ path: p, port: o.port as number, cacheDir: o.cacheDir, allowDirs: o.allowDir as string[] | undefined });
      if (o.json) console.log(JSON.stringify({ url }));
      else console.log(`Ledger Inspector is serving ${p}\nopen ${url}\n(Ctrl+C stops it)`);
      await new Promise<void>((resolve) => {
        const stopHearing = onInterrupt(() => {
          stopHearing();
          void close().then(resolve);
        });
      });
    });

  return program;
}

function readInput(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LedgerError(code === 'ENOENT' ? 'not_found' : 'permission', code === 'ENOENT' ? 'no such file' : `cannot read: ${code}`, file);
  }
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  const program = buildProgram();
  program.hook('preAction', () => {
    jobs = new HostJobs(program.opts().cacheDir as string | undefined);
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof OutputClosed) return 0;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError) {
      console.error(`ledger-inspector: ${e.message}`);
      return 2;
    }
    if (e instanceof LedgerError) {
      // One line, still: an unrecognised file's error ends with how to map it from here.
      console.error(`ledger-inspector: ${e.message}${e.code === 'unrecognised' ? `, e.g. ${MAP_SYNTAX}` : ''}`);
      return e.code === 'cancelled' ? 130 : 1;
    }
    console.error(`ledger-inspector: internal error: ${(e as Error)?.message ?? String(e)}`);
    return 70;
  } finally {
    await jobs.close();
  }
}
