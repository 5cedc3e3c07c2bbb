// Ledger files in each layout the seeds describe, written with the seeds' own
// DDL and insert statements, into a fresh temporary folder per test.
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(prefix = 'li-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A hash of every file in a folder (or of one file): what "opening never changes
 * it" is checked against. SQLite's -wal and -shm companions are left out: any
 * reader of a WAL database, read-only included, creates them; the database file
 * itself must not change.
 */
export function fingerprint(p: string): Record<string, string> {
  const files = fs.statSync(p).isDirectory() ? fs.readdirSync(p).map((f) => path.join(p, f)) : [p];
  const out: Record<string, string> = {};
  for (const f of files.sort()) {
    // Only regular files have content to compare (a FIFO would block the read forever; a link loop never resolves).
    if (!fs.lstatSync(f).isFile() || /-(wal|shm)$/.test(f)) continue;
    out[path.basename(f)] = crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  }
  return out;
}

/** seeds/004: the SQLiteLedger schema, exactly as its Python code creates it (no seq column). */
export const SEED_004_DDL = `
CREATE TABLE IF NOT EXISTS events (
    offset          INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    UNIQUE NOT NULL,
    run_id          TEXT    NOT NULL,
    turn            INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL DEFAULT 1,
    session_id      TEXT,
    model_profile   TEXT,
    model_id        TEXT
);
CREATE INDEX IF NOT EXISTS idx_run_offset ON events(run_id, offset);
CREATE INDEX IF NOT EXISTS idx_kind       ON events(kind);
CREATE INDEX IF NOT EXISTS idx_actor      ON events(actor);
CREATE INDEX IF NOT EXISTS idx_session_id ON events(session_id);
CREATE INDEX IF NOT EXISTS idx_model_id   ON events(model_id);`;

export interface SeedEvent {
  id: string;
  run_id: string;
  kind: string;
  actor?: string;
  payload?: Record<string, unknown>;
  created_at?: string;
  session_id?: string | null;
  model_id?: string | null;
}

const t0 = Date.UTC(2026, 1, 17, 10, 0, 0);
export const at = (i: number) => new Date(t0 + i * 1000).toISOString();

export function writeSeed004(file: string, events: SeedEvent[]): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SEED_004_DDL);
  const ins = db.prepare(
    'INSERT INTO events (id, run_id, turn, kind, actor, payload, created_at, schema_version, session_id, model_profile, model_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  events.forEach((e, i) =>
    ins.run(e.id, e.run_id, 0, e.kind, e.actor ?? 'agent', JSON.stringify(e.payload ?? {}), e.created_at ?? at(i), 1, e.session_id ?? null, null, e.model_id ?? null),
  );
  db.close();
}

/** seeds/003: the supervisor's events table (event_type enum values in upper case). */
export function writeSupervisor(file: string, events: Array<{ workflow_id: string; event_type: string; step_id?: string; component_id?: string; role?: string; status?: string; payload?: object }>): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    role TEXT,
    step_id TEXT,
    component_id TEXT,
    status TEXT,
    payload JSON,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP
  );
  CREATE TABLE workflows (id TEXT PRIMARY KEY, status TEXT);
  CREATE TABLE steps (id TEXT PRIMARY KEY, workflow_id TEXT, status TEXT);`);
  const ins = db.prepare('INSERT INTO events (workflow_id, event_type, role, step_id, component_id, status, payload, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  events.forEach((e, i) =>
    ins.run(e.workflow_id, e.event_type, e.role ?? null, e.step_id ?? null, e.component_id ?? null, e.status ?? null, JSON.stringify(e.payload ?? {}), at(i).replace('T', ' ').replace('Z', '')),
  );
  db.close();
}

/** seeds/002: session_events with a per-session seq. */
export function writeSessionEvents(file: string, events: Array<{ session_id: string; type: string; payload?: object; source?: string }>): void {
  const db = new Database(file);
  db.exec(`CREATE TABLE session_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (session_id, seq)
  )`);
  const seqs = new Map<string, number>();
  const ins = db.prepare('INSERT INTO session_events (session_id, seq, type, payload, source, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  events.forEach((e, i) => {
    const seq = (seqs.get(e.session_id) ?? 0) + 1;
    seqs.set(e.session_id, seq);
    ins.run(e.session_id, seq, e.type, JSON.stringify(e.payload ?? {}), e.source ?? 'session', at(i));
  });
  db.close();
}

/** seeds/000: the EventStore's line, as Python's json.dumps(ensure_ascii=False) writes it. */
export function seedLine(stream: string, event: string, payload: object, ts: number): string {
  return `${JSON.stringify({ ts, stream, event, payload }).replaceAll(',"', ', "').replaceAll('":', '": ')}\n`;
}

/** seeds/000: StateDB's runs and node_runs tables. */
export function writeStateDb(file: string, runs: Array<[string, string, string, string]>, nodeRuns: Array<[string, string, string, string, number]>): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, version TEXT NOT NULL, status TEXT NOT NULL, schedule_id TEXT, metadata_json TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS node_runs (node_run_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, node_id TEXT NOT NULL, status TEXT NOT NULL, attempt INTEGER NOT NULL, metadata_json TEXT NOT NULL);`);
  for (const r of runs) db.prepare('INSERT INTO runs VALUES (?, ?, ?, ?, NULL, ?)').run(...r, '{}');
  for (const n of nodeRuns) db.prepare('INSERT INTO node_runs VALUES (?, ?, ?, ?, ?, ?)').run(...n, '{}');
  db.close();
}
