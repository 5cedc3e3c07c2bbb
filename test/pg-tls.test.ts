// sslmode in a postgres:// URL means what it means to psql (libpq): prefer goes on
// without TLS where the server has none, require takes the server's certificate
// unchecked, verify-ca checks its issuer only, verify-full its name too. Real
// servers, one without TLS and one that takes TLS connections only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { runCli } from './helpers/cli.ts';
import { canonicalFromSqlite } from './helpers/pg-fixtures.ts';
import { startPgServer, type PgServer } from './helpers/pg-server.ts';

let plain: PgServer;
let tls: PgServer;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pgtls-'));
  const db = path.join(dir, 'ledger.db');
  generateLedger(db, { events: 300, runs: 3, seed: 5 });
  [plain, tls] = [await startPgServer(), await startPgServer({ tls: true })];
  for (const s of [plain, tls]) {
    s.createDb('team');
    canonicalFromSqlite(s, 'team', db);
  }
});

afterAll(() => {
  plain?.remove();
  tls?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** `stats --json` over the URL with these parameters: the event count, or the one-line error. */
function stats(server: PgServer, params: string): { events?: number; err: string; code: number | null } {
  const r = runCli(['stats', `${server.url('team')}?${params}`, '--json'], { cacheDir: path.join(dir, 'cache') });
  return { events: r.code === 0 ? (JSON.parse(r.out) as { events: number }).events : undefined, err: r.err, code: r.code };
}

describe('sslmode, as libpq reads it', () => {
  it('prefer and allow go on without TLS where the server has none; require says the server has none', () => {
    for (const mode of ['prefer', 'allow', 'disable']) expect(stats(plain, `sslmode=${mode}`), mode).toMatchObject({ events: 300, err: '' });
    const required = stats(plain, 'sslmode=require');
    expect(required.code).toBe(1);
    expect(required.err.trim()).toBe(`ledger-inspector: PostgreSQL: The server does not support SSL connections (127.0.0.1:${plain.port}/team)`);
  });

  it('prefer and require use TLS where the server has it, taking its certificate unchecked; no security warning is printed', () => {
    // This server takes TLS connections only: an answer means TLS was used.
    for (const mode of ['prefer', 'allow', 'require']) expect(stats(tls, `sslmode=${mode}`), mode).toMatchObject({ events: 300, err: '' });
    expect(stats(tls, 'sslmode=disable').err).toMatch(/no encryption/);
  });

  it('verify-ca trusts a certificate from the root it is given, whatever host it names; verify-full also checks the name', () => {
    const root = `sslrootcert=${encodeURIComponent(tls.certFile!)}`;
    expect(stats(tls, `sslmode=verify-ca&${root}`)).toMatchObject({ events: 300, err: '' });
    // The certificate is issued to localhost; the URL names 127.0.0.1.
    const full = stats(tls, `sslmode=verify-full&${root}`);
    expect(full.code).toBe(1);
    expect(full.err).toMatch(/127\.0\.0\.1/);
    expect(full.err).not.toMatch(/\n\s+at /);
    // Without the root, the self-signed certificate is trusted by nothing.
    expect(stats(tls, 'sslmode=verify-full').err).toMatch(/self[- ]signed/i);
  });
});
