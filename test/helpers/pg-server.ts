// A real PostgreSQL server for a test file: initdb into a temporary folder, a free
// port on 127.0.0.1 (no Unix socket), password auth over TCP, stopped and removed
// afterwards. Root cannot run the server, so as root it runs as the postgres user.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The newest installed server's binaries (Debian keeps each major version in its own folder). */
function serverBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return path.join(root, versions[0] ?? '15', 'bin');
}
export const PG_BIN = serverBin();
const BIN = PG_BIN;
export const PG_PASSWORD = 'sekrit-pw-42';

export interface PgServer {
  port: number;
  /** With TLS: the server's self-signed certificate (its own root), issued to localhost, not to 127.0.0.1. */
  certFile?: string;
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/DB */
  url(db?: string, opts?: { password?: string | null }): string;
  /** Runs SQL through psql (the fixtures' writer: a client other than the app). */
  psql(sql: string, db?: string): string;
  createDb(name: string): void;
  stop(): void;
  start(): void;
  remove(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;
/** Runs a server binary, as the postgres user when we are root. */
function run(bin: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const file = path.join(BIN, bin);
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', input: opts.input, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function pgAvailable(): boolean {
  return fs.existsSync(path.join(BIN, 'initdb'));
}

/** `tls`: the server takes TLS connections only, with a self-signed certificate. */
export async function startPgServer(o: { tls?: boolean } = {}): Promise<PgServer> {
  if (!pgAvailable()) throw new Error(`PostgreSQL server binaries not found in ${BIN} (apt-get install postgresql; .ci/run does)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const pwfile = path.join(dir, 'pw');
  fs.writeFileSync(pwfile, `${PG_PASSWORD}\n`);
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  run('initdb', ['-D', data, '-U', 'postgres', '--pwfile', pwfile, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  const port = await freePort();
  let opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60`;
  const certFile = o.tls ? path.join(dir, 'server.crt') : undefined;
  if (certFile) {
    const key = path.join(dir, 'server.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', key, '-out', certFile], { stdio: 'ignore' });
    fs.chmodSync(key, 0o600);
    if (asRoot) execFileSync('chown', ['postgres:postgres', key, certFile]);
    opts += ` -c ssl=on -c ssl_cert_file=${certFile} -c ssl_key_file=${key}`;
    // TLS or nothing: a client that connects has used it.
    const hba = path.join(data, 'pg_hba.conf');
    fs.writeFileSync(hba, fs.readFileSync(hba, 'utf8').replace(/^host(\s)/gm, 'hostssl$1'));
  }
  const start = () => run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', '-o', opts, 'start']);
  const stop = () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  start();
  const url = (db = 'postgres', o: { password?: string | null } = {}) => {
    const pw = o.password === undefined ? PG_PASSWORD : o.password;
    return `postgres://postgres${pw === null ? '' : `:${encodeURIComponent(pw)}`}@127.0.0.1:${port}/${db}`;
  };
  const server: PgServer = {
    port,
    certFile,
    url,
    psql: (sql, db = 'postgres') =>
      execFileSync(path.join(BIN, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-d', certFile ? `${url(db)}?sslmode=require` : url(db)], { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }),
    createDb: (name) => void server.psql(`CREATE DATABASE "${name}"`),
    stop,
    start,
    remove: () => {
      try {
        stop();
      } catch {
        // Already stopped.
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
