// ledger-inspector: the command line over the same engine the app uses.
import { Command, CommanderError, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { LedgerError } from '../../shared/errors.ts';
import type { LedgerEvent, Mapping, Query } from '../../shared/ledger.ts';
import { formatBytes } from '../../shared/format.ts';
import type { JobControl } from '../engine/jobs.ts';
import { describeJsonl, importJsonl } from '../engine/jsonl-store.ts';
import { exportJsonl } from '../engine/jsonl-export.ts';
import { generateLedger } from '../engine/generate.ts';
import { createCanonical, Ledger } from '../engine/ledger.ts';
import { Projector } from '../engine/projector.ts';
import { fullSnapshot, partialSnapshot } from '../engine/snapshot.ts';
import { Follower } from '../engine/tail.ts';
import { serve } from '../serve/server.ts';
import { TextIndex } from '../engine/text-index.ts';
import { Replay } from '../engine/replay.ts';
import { printEvents, printReplay, printRun, printRuns, printStats, progressBar } from './output.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const int = (name: string) => (v: string) => {
  const n = Number(v.replaceAll('_', ''));
  if (!Number.isInteger(n)) throw new LedgerError('invalid_argument', `${name} takes a whole number, not "${v}"`);
  return n;
};

interface Common {
  json?: boolean;
  cacheDir?: string;
  map?: string;
}

function parseMapping(spec: string | undefined): Mapping | undefined {
  if (!spec) return undefined;
  if (fs.existsSync(spec) && spec.endsWith('.json')) return JSON.parse(fs.readFileSync(spec, 'utf8')) as Mapping;
  const out: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const [k, v] = part.split('=');
    if (!k || !v) throw new LedgerError('invalid_argument', `--map takes key=column pairs separated by commas, not "${part}"`);
    out[k.trim()] = v.trim();
  }
  return out as unknown as Mapping;
}

function open(p: string, o: Common, ctl?: JobControl & { progressive?: boolean }): Ledger {
  return Ledger.open(p, { cacheDir: o.cacheDir, mapping: parseMapping(o.map), ...ctl });
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
    .option('--offset-from <n>', 'events at or after this offset', int('--offset-from'))
    .option('--offset-to <n>', 'events at or before this offset', int('--offset-to'))
    .option('--since-seq <n>', 'events of the one --run after this seq', int('--since-seq'))
    .option('--text <text>', 'payload contains this text')
    .option('--where <path=value>', 'payload JSON path equals a value, e.g. $.node_id=embed or $.attempt=2');
}

function queryFrom(o: Record<string, unknown>): Query {
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
    if (i < 1) throw new LedgerError('invalid_argument', `--where takes $.path=value, not "${o.where}"`);
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
  return q as Query;
}

const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

/** Progress on a terminal; nothing when stderr is piped. */
function job(label: string): JobControl & { end(): void } {
  const bar = progressBar(label);
  return { onProgress: bar.update, end: bar.end };
}

/** Opens the ledger, runs fn with a progress bar named `label`, and always closes both. */
async function withLedger<T>(p: string, o: Common, label: string, fn: (ledger: Ledger, ctl: JobControl) => T | Promise<T>, opts: { progressive?: boolean } = {}): Promise<T> {
  const ledger = open(p, o, opts);
  const ctl = job(label);
  try {
    return await fn(ledger, { onProgress: ctl.onProgress });
  } finally {
    ctl.end();
    ledger.close();
  }
}

/** JSON for --json, else the human form. */
function emit<T>(o: Common, value: T, human: (v: T) => void): void {
  if (o.json) out(value);
  else human(value);
}

export function buildProgram(): Command {
  const program = new Command('ledger-inspector')
    .description('Inspect append-only event ledgers: SQLite ledgers of several layouts and JSONL stores')
    .addOption(new Option('--cache-dir <dir>', 'where indexes and caches go (default: the app cache folder)').env('LEDGER_INSPECTOR_CACHE'))
    .option('--map <spec>', 'column mapping for a table of another shape: table=T,order=C,run=C,kind=C[,time=C,payload=C,...] or a .json file')
    .showHelpAfterError()
    .exitOverride();
  const common = (cmd: Command) => ({ ...program.opts(), ...cmd.opts() }) as Common & Record<string, unknown>;

  program
    .command('stats <path>')
    .description('layout, event and run counts, offsets, times and kinds of a ledger')
    .option('--json', 'machine-readable output')
    .action((p: string, _o, cmd: Command) => {
      const o = common(cmd);
      return withLedger(p, o, 'stats', (ledger) => emit(o, ledger.stats(), printStats));
    });

  withFilters(
    program
      .command('query <path>')
      .description('a page of events in ledger order')
      .option('--limit <n>', 'events per page', int('--limit'), 50)
      .option('--after <offset>', 'start after this offset', int('--after'))
      .option('--before <offset>', 'the page ending before this offset', int('--before'))
      .option('--last', 'the last page')
      .option('--full', 'whole payloads instead of previews')
      .option('--json', 'machine-readable output: {events, last_offset, has_more}'),
  ).action((p: string, _o, cmd: Command) => {
    const o = common(cmd);
    return withLedger(p, o, 'query', (ledger, ctl) => {
      const request = {
        query: queryFrom(o),
        limit: o.limit as number,
        after: o.after as number | undefined,
        before: o.before as number | undefined,
        from_end: o.last ? true : undefined,
        payload: o.full || o.json ? ('full' as const) : ('preview' as const),
      };
      // A JSONL store being indexed gets its rows in their final order: a full forward page
      // of what is indexed is already the answer; any other page waits for the whole index.
      let { indexing, ...page } = ledger.page(request);
      if (indexing && !(page.has_more && !o.before && !o.last)) {
        ledger.waitIndexed(ctl);
        ({ indexing, ...page } = ledger.page(request));
      }
      emit(o, page, (x) => printEvents(x.events, x.has_more));
      // Finished rather than left half built, so that the next command finds it complete.
      ledger.waitIndexed(ctl);
    }, { progressive: true });
  });

  program
    .command('append <path>')
    .description('append events (JSON lines) to a canonical ledger, creating it when new')
    .option('--file <events.jsonl>', 'read events from this file instead of standard input')
    .option('--mirror <dir>', 'also write each appended event to <dir>/<run_id>.jsonl')
    .option('--max-payload <bytes>', 'largest payload accepted', int('--max-payload'))
    .option('--json', 'machine-readable output')
    .action((p: string, _o, cmd: Command) => {
      const o = common(cmd);
      const input = (o.file as string | undefined) ?? '-';
      const text = readInput(input);
      const events = text.split('\n').flatMap((line, i) => {
        if (!line.trim()) return [];
        try {
          return [JSON.parse(line)];
        } catch (e) {
          throw new LedgerError('invalid_argument', `line ${i + 1} is not JSON: ${(e as Error).message}`, input === '-' ? 'standard input' : input);
        }
      });
      if (!fs.existsSync(p)) createCanonical(p);
      const ledger = open(p, o);
      try {
        const res = ledger.append(events, { mirrorDir: o.mirror as string | undefined, maxPayloadBytes: o.maxPayload as number | undefined });
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
    .action((src: string, dest: string, _o, cmd: Command) => {
      const o = common(cmd);
      const ctl = job('import');
      try {
        const res = importJsonl(describeJsonl(src), dest, ctl);
        if (o.json) out(res);
        else {
          console.log(`imported ${res.events} events into ${dest}${res.duplicates ? ` (${res.duplicates} duplicate ids skipped)` : ''}`);
          for (const w of res.warnings.slice(0, 20)) console.error(`warning: ${w}`);
          if (res.warningCount > 20) console.error(`warning: ${res.warningCount - 20} more`);
        }
      } finally {
        ctl.end();
      }
    });

  withFilters(
    program
      .command('export-jsonl <path> <dir>')
      .description('write a ledger (or the events matching the filters) as a JSONL store, one file per run')
      .option('--json', 'machine-readable output'),
  ).action((p: string, dir: string, _o, cmd: Command) => {
    const o = common(cmd);
    return withLedger(p, o, 'export', (ledger, ctl) =>
      emit(o, exportJsonl(ledger, dir, queryFrom(o), ctl), (r) => console.log(`exported ${r.events} events into ${r.files} files in ${dir}`)),
    );
  });

  program
    .command('generate <dest>')
    .description('write a realistic synthetic ledger')
    .requiredOption('--events <n>', 'how many events', int('--events'))
    .option('--runs <n>', 'how many runs (default: one per 200 events)', int('--runs'))
    .option('--seed <n>', 'random seed', int('--seed'), 1)
    .option('--force', 'replace the destination if it exists')
    .option('--json', 'machine-readable output')
    .action((dest: string, _o, cmd: Command) => {
      const o = common(cmd);
      if ((o.events as number) < 1) throw new LedgerError('invalid_argument', '--events must be at least 1');
      const ctl = job('generate');
      try {
        const started = performance.now();
        const res = generateLedger(dest, { events: o.events as number, runs: o.runs as number | undefined, seed: o.seed as number, overwrite: !!o.force, ...ctl });
        const secs = (performance.now() - started) / 1000;
        if (o.json) out({ ...res, path: path.resolve(dest) });
        else console.log(`wrote ${res.events} events in ${res.runs} runs to ${dest} (${formatBytes(fs.statSync(dest).size)}, ${secs.toFixed(1)} s)`);
      } finally {
        ctl.end();
      }
    });

  program
    .command('runs <path>')
    .description('every run rebuilt from its events: status, workflow, times, event counts')
    .option('--status <status>', 'only runs with this status (running, completed, failed, cancelled, pending, unknown)')
    .option('--json', 'machine-readable output')
    .action((p: string, _o, cmd: Command) => {
      const o = common(cmd);
      return withLedger(p, o, 'fold', (ledger, ctl) => new Projector(ledger).runs({ status: o.status as string | undefined, ...ctl })).then((runs) =>
        emit(o, runs, printRuns),
      );
    });

  program
    .command('run <path> <run-id>')
    .description('one run and its node-runs, with drift from stored runs/node_runs tables where the ledger has them')
    .option('--json', 'machine-readable output')
    .action((p: string, runId: string, _o, cmd: Command) => {
      const o = common(cmd);
      return withLedger(p, o, 'run', (ledger) => emit(o, new Projector(ledger).run(runId), printRun));
    });

  program
    .command('replay <path> <run-id>')
    .description('the state of a run after step K of its replay (0 = before its first event)')
    .requiredOption('--step <k>', 'the step', int('--step'))
    .option('--json', 'machine-readable output: {step, steps, event, state: {run, node_runs}, changed}')
    .action((p: string, runId: string, _o, cmd: Command) => {
      const o = common(cmd);
      return withLedger(p, o, 'replay', (ledger, ctl) => Replay.open(ledger, runId, ctl).at(o.step as number)).then((pos) => emit(o, pos, printReplay));
    });

  program
    .command('snapshot <path> <dest>')
    .description('copy the ledger to a new file: whole (consistent while it is written) or up to an offset and/or for chosen runs')
    .option('--up-to-offset <n>', 'only events up to this offset (the ledger as of a replay step)', int('--up-to-offset'))
    .option('--run <id>', 'only this run (repeatable)', collect)
    .option('--json', 'machine-readable output')
    .action(async (p: string, dest: string, _o, cmd: Command) => {
      const o = common(cmd);
      const runs = o.run as string[] | undefined;
      const upTo = o.upToOffset as number | undefined;
      const res = await withLedger<{ bytes: number } | { events: number }>(p, o, 'snapshot', (ledger, ctl) =>
        upTo === undefined && !runs ? fullSnapshot(ledger, dest, ctl) : partialSnapshot(ledger, dest, { upToOffset: upTo, runs }, ctl),
      );
      emit(o, { ...res, path: path.resolve(dest) }, () => console.log(`wrote ${dest} (${'events' in res ? `${res.events} events` : formatBytes(res.bytes)})`));
    });

  withFilters(
    program
      .command('tail <path>')
      .description('print the last events, then new ones as other processes append them, until interrupted')
      .option('--lines <n>', 'how many existing events to print first', int('--lines'), 10)
      .option('--json', 'one JSON event per line'),
  ).action(async (p: string, _o, cmd: Command) => {
    const o = common(cmd);
    const ledger = open(p, o);
    const query = queryFrom(o);
    const print = (events: LedgerEvent[]) => (o.json ? events.forEach((e) => process.stdout.write(`${JSON.stringify(e)}\n`)) : printEvents(events, false));
    const lines = o.lines as number;
    const first = lines > 0 ? ledger.page({ query, from_end: true, limit: lines }) : null;
    if (first) print(first.events);
    await new Promise<void>((resolve, reject) => {
      const follower = new Follower(ledger, {
        query,
        after: first?.last_offset ?? ledger.lastOffset(),
        onEvents: print,
        onError: (err) => {
          ledger.close();
          reject(err);
        },
      }).start();
      process.once('SIGINT', () => {
        follower.stop();
        ledger.close();
        resolve();
      });
    });
  });

  withFilters(
    program
      .command('search <path> <text>')
      .description('events whose payload contains the text, through a full-text index kept in the cache folder (built or extended first)')
      .option('--limit <n>', 'events per page', int('--limit'), 50)
      .option('--after <offset>', 'start after this offset', int('--after'))
      .option('--json', 'machine-readable output'),
  ).action(async (p: string, text: string, _o, cmd: Command) => {
    const o = common(cmd);
    const page = await withLedger(p, o, 'index', (ledger, ctl) => {
      const index = new TextIndex(ledger);
      try {
        index.build(ctl);
        return index.search({ query: { ...queryFrom(o), text }, limit: o.limit as number, after: o.after as number | undefined, payload: o.json ? 'full' : 'preview' });
      } finally {
        index.close();
      }
    });
    emit(o, page, (x) => printEvents(x.events, x.has_more));
  });

  program
    .command('serve <path>')
    .description('serve the app to a browser on 127.0.0.1, with the ledger open; the printed URL carries the access token')
    .option('--port <port>', 'port to listen on (default: any free one)', int('--port'), 0)
    .option('--json', 'print {url} as JSON')
    .action(async (p: string, _o, cmd: Command) => {
      const o = common(cmd);
      const { url, close } = await serve({ path: p, port: o.port as number, cacheDir: o.cacheDir });
      if (o.json) console.log(JSON.stringify({ url }));
      else console.log(`Ledger Inspector is serving ${p}\nopen ${url}\n(Ctrl+C stops it)`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => void close().then(resolve)));
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
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof LedgerError) {
      console.error(`ledger-inspector: ${e.message}`);
      return e.code === 'cancelled' ? 130 : 1;
    }
    console.error(`ledger-inspector: internal error: ${(e as Error)?.message ?? String(e)}`);
    return 70;
  }
}
