// The engine behind the contract: one handler per call, over the ledgers, views,
// replays and followers this worker holds. Runs inside an engine-host worker.
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Args, EventName, LedgerInfo, Result, WorkerMethod } from '../../shared/contract.ts';
import { LedgerError } from '../../shared/errors.ts';
import type { JobControl } from '../engine/base/jobs.ts';
import { exportJsonl } from '../engine/copy/jsonl-export.ts';
import { generateLedger } from '../engine/write/generate.ts';
import { describeJsonl, importJsonl } from '../engine/jsonl/jsonl-store.ts';
import { AppData } from '../engine/settings/app-data.ts';
import { writeTextWhole } from '../engine/base/atomic-write.ts';
import { openStore, type Store } from '../engine/open/open-store.ts';
import { PgLedger, pgTables } from '../engine/pg/pg-ledger.ts';
import { isPgUrl } from '../engine/pg/pg-url.ts';
import { inspectTables, previewMapping } from '../engine/open/mapping-preview.ts';
import { saveLedgerSettings } from '../engine/settings/ledger-settings.ts';
import { Projector } from '../engine/derive/projector.ts';
import { Replay } from '../engine/derive/replay.ts';
import { fullSnapshot, partialSnapshot } from '../engine/copy/snapshot.ts';
import { Follower } from '../engine/derive/tail.ts';
import { TextIndex } from '../engine/derive/text-index.ts';
import { View } from '../engine/read/view.ts';
import { NO_OPEN_LEDGER } from './protocol.ts';

interface Open {
  ledger: Store;
  /** Tells the window how a JSONL store's indexing goes, until it is complete. */
  indexingTimer: NodeJS.Timeout | null;
  views: Map<string, View>;
  projector: Projector;
  text: TextIndex | null;
  follower: Follower | null;
}

const INDEXING_PUSH_MS = 250;

type Handlers = { [M in WorkerMethod]: (args: Args<M>, ctl: JobControl, extra: { ledgerId?: string }) => Result<M> | Promise<Result<M>> };

export class EngineService {
  private readonly ledgers = new Map<string, Open>();
  private readonly replays = new Map<string, Replay>();
  private appData: AppData | null = null;
  private readonly cacheDir: string | undefined;
  private readonly push: (event: EventName, payload: unknown) => void;

  constructor(opts: { cacheDir?: string; push: (event: EventName, payload: unknown) => void }) {
    this.cacheDir = opts.cacheDir;
    this.push = opts.push;
  }

  private get(id: string): Open {
    const o = this.ledgers.get(id);
    if (!o) throw new LedgerError('invalid_argument', `${NO_OPEN_LEDGER} "${id}"; open it first`);
    return o;
  }

  private info(id: string, o: Open): LedgerInfo {
    const page = o.ledger.page({ limit: 1 });
    return {
      ledger: id,
      path: o.ledger.path,
      layout: o.ledger.source.layout,
      // The unfiltered view's total: no count(*) before the first rows of a gap-free ledger.
      events: this.view(o, undefined).total,
      first_offset: page.first_offset,
      last_offset: o.ledger.lastOffset(),
      appendable: o.ledger.source.appendable,
      warnings: o.ledger.warnings,
      mapping: { how: o.ledger.source.how, mapping: o.ledger.source.mapping },
      rules: { how: o.ledger.rulesSource, rules: o.ledger.rules.spec },
      indexing: o.ledger.indexing(),
    };
  }

  private view(o: Open, query: object | undefined): View {
    const key = JSON.stringify(query ?? {});
    let v = o.views.get(key);
    if (!v) {
      if (o.views.size > 16) o.views.clear();
      v = new View(o.ledger, query ?? {}, (text) => (o.text ??= new TextIndex(o.ledger)).useFor(text));
      o.views.set(key, v);
    } else v.refresh();
    return v;
  }

  readonly handlers: Handlers = {
    open: ({ path, mapping, rules }, ctl, extra) => {
      const id = extra.ledgerId ?? crypto.randomUUID();
      const ledger = openStore(path, { cacheDir: this.cacheDir, mapping, rules, progressive: true, ...ctl });
      const o: Open = { ledger, views: new Map(), projector: new Projector(ledger), text: null, follower: null, indexingTimer: null };
      this.ledgers.get(id)?.ledger.close();
      this.ledgers.set(id, o);
      this.watchIndexing(id, o);
      return this.info(id, o);
    },
    tables: ({ path }) => (isPgUrl(path) ? pgTables(path) : inspectTables(path)),
    previewMapping: ({ path, mapping, rules }) => previewMapping(path, mapping, rules, this.cacheDir),
    saveMapping: ({ path, mapping, rules }) => {
      saveLedgerSettings(path, { mapping: mapping ?? undefined, rules: rules ?? undefined });
      return null;
    },
    close: ({ ledger }) => {
      const o = this.ledgers.get(ledger);
      if (o) {
        if (o.indexingTimer) clearInterval(o.indexingTimer);
        o.follower?.stop();
        o.text?.close();
        o.ledger.close();
        this.ledgers.delete(ledger);
      }
      return null;
    },
    info: ({ ledger }) => this.info(ledger, this.get(ledger)),
    stats: ({ ledger }) => this.get(ledger).ledger.stats(),
    rows: ({ ledger, query, start, count }) => {
      const v = this.view(this.get(ledger), query);
      const events = v.rows(start, count);
      return { start, events, total: v.total, exact: v.exact, indexing: this.get(ledger).ledger.indexing() };
    },
    locate: ({ ledger, query, offset }) => {
      const v = this.view(this.get(ledger), query);
      let position = v.positionOf(offset);
      let row = v.rows(position, 1)[0];
      // Reading the row may reveal a gap and renumber the view: ask again.
      const again = v.positionOf(offset);
      if (again !== position) [position, row] = [again, v.rows(again, 1)[0]];
      return { position, offset: row?.offset ?? null };
    },
    page: ({ ledger, request }) => this.get(ledger).ledger.page(request),
    event: ({ ledger, offset }) => this.get(ledger).ledger.event(offset),
    count: ({ ledger, query }, ctl) => this.get(ledger).ledger.count(query ?? {}, ctl),
    facets: ({ ledger, field, query, limit, exact }) => this.get(ledger).ledger.facets(field, query ?? {}, limit, { exact }),
    histogram: ({ ledger, query, buckets }) => this.get(ledger).ledger.histogram(query ?? {}, buckets),
    append: ({ ledger, events }) => this.get(ledger).ledger.append(events),
    runs: ({ ledger, status }, ctl) => this.get(ledger).projector.runs({ status, ...ctl }),
    run: ({ ledger, run_id }) => this.get(ledger).projector.run(run_id),
    drift: ({ ledger }, ctl) => this.get(ledger).projector.drift(ctl),
    replayOpen: ({ ledger, run_id }, ctl) => {
      const replay = Replay.open(this.get(ledger).ledger, run_id, ctl);
      const id = crypto.randomUUID();
      if (this.replays.size > 8) {
        const [oldest, r] = this.replays.entries().next().value!;
        r.close(); // its background index stops
        this.replays.delete(oldest);
      }
      this.replays.set(id, replay);
      return { replay: id, steps: replay.steps };
    },
    replayAt: ({ replay, step }) => this.replay(replay).at(step),
    replayFind: ({ replay, from, dir, kind, failure, node }) => {
      const r = this.replay(replay);
      r.position = Math.min(from, r.steps);
      return r.find({ kind, failure, node }, dir);
    },
    snapshot: async ({ ledger, dest, up_to_offset, runs }, ctl) => {
      const l = this.get(ledger).ledger;
      if (l instanceof PgLedger) l.snapshot(dest, { upToOffset: up_to_offset, runs }, ctl);
      else if (up_to_offset === undefined && !runs?.length) await fullSnapshot(l, dest, ctl);
      else partialSnapshot(l, dest, { upToOffset: up_to_offset, runs }, ctl);
      return { dest };
    },
    exportJsonl: ({ ledger, dir, query }, ctl) => exportJsonl(this.get(ledger).ledger, dir, query ?? {}, ctl),
    importJsonl: ({ src, dest }, ctl) => {
      const res = importJsonl(describeJsonl(src), dest, ctl);
      return { events: res.events, duplicates: res.duplicates, warnings: res.warnings };
    },
    indexText: async ({ ledger }, ctl) => {
      const o = this.get(ledger);
      o.text ??= new TextIndex(o.ledger);
      await o.text.buildInBackground(ctl);
      return { pending: o.text.pending() };
    },
    search: ({ ledger, request }, ctl) => {
      const o = this.get(ledger);
      o.text ??= new TextIndex(o.ledger);
      // Until the index is built the search scans; the build itself runs as its own job.
      return o.text.search(request, ctl);
    },
    follow: ({ ledger, follow }) => {
      const o = this.get(ledger);
      o.follower?.stop();
      o.follower = null;
      if (follow) {
        o.follower = new Follower(o.ledger, {
          onEvents: (events) => this.push('tail', { ledger, last_offset: events.at(-1)!.offset, added: events.length }),
          onError: (e) => this.push('tailError', { ledger, code: e.code, message: e.message }),
        }).start();
      }
      return null;
    },
    resolvePath: ({ path: p, base }) => {
      // Only the name is worked out; whether something is there is for the job that writes it to say.
      const home = os.homedir();
      const expanded = p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
      return { path: path.resolve(base ?? home, expanded) };
    },
    saveBookmarks: ({ ledger, dest, offsets }) => {
      const l = this.get(ledger).ledger;
      const bookmarks = offsets.flatMap((o) => {
        const e = l.event(o);
        return e ? [{ offset: e.offset, id: e.id, run_id: e.run_id, kind: e.kind, time: e.time }] : [];
      });
      writeTextWhole(dest, `${JSON.stringify({ ledger: l.path, bookmarks }, null, 2)}\n`);
      return { dest, bookmarks: bookmarks.length };
    },
    prefs: ({ scope }) => (this.appData ??= new AppData()).get(scope),
    setPref: ({ scope, key, value }) => ((this.appData ??= new AppData()).set(scope, key, value), null),
    generate: ({ dest, events, runs, seed, overwrite }, ctl) => generateLedger(dest, { events, runs, seed, overwrite, ...ctl }),
  };

  /** While a JSONL store is indexed, pushes how far it got, and once more (state null) when it is complete. */
  private watchIndexing(id: string, o: Open): void {
    if (!o.ledger.indexing()) return;
    o.indexingTimer = setInterval(() => {
      let state = null;
      try {
        state = o.ledger.indexing();
      } catch (e) {
        const err = e as LedgerError;
        this.push('tailError', { ledger: id, code: err.code ?? 'internal', message: err.message });
      }
      this.push('indexing', { ledger: id, last_offset: o.ledger.lastOffset(), state });
      if (!state) {
        clearInterval(o.indexingTimer!);
        o.indexingTimer = null;
      }
    }, INDEXING_PUSH_MS);
  }

  private replay(id: string): Replay {
    const r = this.replays.get(id);
    if (!r) throw new LedgerError('invalid_argument', `no replay "${id}"; open the run in replay first`);
    return r;
  }

  closeAll(): void {
    for (const id of [...this.ledgers.keys()]) this.handlers.close({ ledger: id }, {}, {});
  }
}
