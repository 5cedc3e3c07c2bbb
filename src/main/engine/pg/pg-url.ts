// What the user typed to reach a PostgreSQL ledger: a postgres:// URL, with the
// libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER; PGPASSWORD and .pgpass are
// read by the driver) filling what the URL leaves out. Everything shown or logged
// names the server as host:port/db, never the password.
import os from 'node:os';
import type { ClientConfig } from 'pg';
import { parse } from 'pg-connection-string';
import { LedgerError, type ErrorCode } from '../../../shared/errors.ts';

/** Interactive calls give up after this long on the server (the URL's statement_timeout, in ms, overrides it): a slow filter never hangs the app. */
export const INTERACTIVE_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A session's settings. Reading never changes the database, whatever a statement would try.
 * Times are UTC whatever the server's own zone: a timestamp without time zone then reads as the
 * UTC it is shown as (with a Z), in filters as in display, and a time shown as PostgreSQL prints
 * it (see pgTimeDisplay) is in UTC too.
 */
export const sessionOptions = (o: { readOnly: boolean }): string => `-c default_transaction_read_only=${o.readOnly ? 'on' : 'off'} -c TimeZone=UTC`;

export interface Server {
  host: string;
  port: number;
  database: string;
  user: string;
  /** host:port/db: what every message about this server names. */
  label: string;
  /** The interactive statement timeout, in ms (0: none). */
  timeoutMs: number;
}

export interface PgTarget {
  server: Server;
  /** The table the URL (?table=) or the caller named, or null to detect. */
  table: string | null;
  /** The URL without its password: what the app shows, keys caches on and saves. */
  shown: string;
  config: ClientConfig;
}

export const isPgUrl = (s: string): boolean => /^postgres(ql)?:\/\//i.test(s);

/** The URL's parameters that name files on this disk, which the driver reads (TLS certificates and key). */
export const PG_URL_FILES = ['sslcert', 'sslkey', 'sslrootcert'] as const;

/** The files a postgres:// URL names (see PG_URL_FILES); none for a URL that does not parse. */
export function filesOfPgUrl(given: string): string[] {
  try {
    const params = new URL(given).searchParams;
    return PG_URL_FILES.flatMap((name) => params.getAll(name));
  } catch {
    return [];
  }
}

/** Reads a postgres:// URL (a bad one is a clear error naming what is wrong, never echoing a password). */
export function parsePgUrl(given: string, table?: string): PgTarget {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new LedgerError('invalid_argument', 'not a valid postgres:// URL', redact(given));
  }
  const fromUrl = url.searchParams.get('table');
  url.searchParams.delete('table');
  let opts: ReturnType<typeof parse>;
  try {
    // sslmode as libpq (psql) reads it: prefer tries TLS and goes on without it, require does not
    // check the certificate. Without this the driver takes all three as verify-full, and warns.
    opts = parse(url.toString(), { useLibpqCompat: true });
  } catch (e) {
    throw new LedgerError('invalid_argument', `not a valid postgres:// URL: ${(e as Error).message}`, redact(given));
  }
  const env = process.env;
  const user = opts.user || env.PGUSER || os.userInfo().username;
  const host = opts.host || env.PGHOST || 'localhost';
  const port = Number(opts.port || env.PGPORT || 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LedgerError('invalid_argument', `not a port: ${opts.port}`, redact(given));
  const database = opts.database || env.PGDATABASE || user;
  const label = `${host}:${port}/${database}`;
  const shownUrl = new URL(url.toString());
  shownUrl.password = '';
  const name = table ?? fromUrl ?? null;
  if (name) shownUrl.searchParams.set('table', name);
  const { password, ...rest } = opts;
  // The connection's thread gets the config as a copy, which cannot hold a function: driverConfig puts it back.
  if (rest.ssl && typeof rest.ssl === 'object') {
    delete (rest.ssl as { checkServerIdentity?: unknown }).checkServerIdentity;
    // libpq's allow, like prefer, takes any certificate.
    if (rest.sslmode === 'allow') rest.ssl.rejectUnauthorized = false;
  }
  const asked = (rest as { statement_timeout?: string }).statement_timeout;
  const timeoutMs = asked === undefined ? INTERACTIVE_TIMEOUT_MS : Number(asked);
  if (!/^\d+$/.test(asked ?? '0')) throw new LedgerError('invalid_argument', `statement_timeout must be a number of milliseconds; it is "${asked}"`, label);
  const config: ClientConfig = {
    ...(rest as ClientConfig),
    host,
    port,
    database,
    user,
    // Left out, the driver reads PGPASSWORD, then ~/.pgpass, as libpq does.
    // Decoded by the parse already: decoded again, a % in a password broke the URL or changed the password.
    ...(password ? { password } : {}),
    application_name: 'ledger-inspector',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: timeoutMs,
    options: sessionOptions({ readOnly: true }),
  };
  return { server: { host, port, database, user, label, timeoutMs }, table: name, shown: shownUrl.toString(), config };
}

type UrlConfig = ClientConfig & { sslmode?: string };

/**
 * The driver's config for one connection: the URL's, with the check libpq's require (given a
 * root certificate) and verify-ca make of a certificate, which trusts its issuer but not its
 * name; `plain` once a server has said it has no TLS to a URL whose sslmode lets it go on without.
 */
export function driverConfig(config: UrlConfig, plain: boolean): ClientConfig {
  if (plain) return { ...config, ssl: false };
  const { ssl, sslmode } = config;
  if (ssl && typeof ssl === 'object' && (sslmode === 'verify-ca' || (sslmode === 'require' && ssl.ca))) return { ...config, ssl: { ...ssl, checkServerIdentity: () => undefined } };
  return config;
}

/** Whether a failed connect may be tried again without TLS: the server has none, and the URL's sslmode (prefer, allow) takes that. */
export const goesOnWithoutTls = (config: UrlConfig, e: unknown): boolean =>
  (config.sslmode === 'prefer' || config.sslmode === 'allow') && /does not support SSL/i.test((e as Error)?.message ?? '');

/** The URL naming a table (?table=), how a table reaches the engine through a path. */
export function withTable(given: string, table: string): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new LedgerError('invalid_argument', 'not a valid postgres:// URL', redact(given));
  }
  url.searchParams.set('table', table);
  return url.toString();
}

/** A URL as it may be shown: without its password. */
export function redact(given: string): string {
  return given.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/i, '$1@');
}

/** The code of the error an interactive statement ends with when the server sends no answer at all (pg-thread.ts). */
export const NO_ANSWER = 'LI_NO_ANSWER';

const CONNECTION_LOST = /terminat|ECONNRESET|EPIPE|Connection ended|not queryable/i;

/** A driver or server error as one line naming the server. */
export function pgError(e: { code: string; message: string }, server: Server): LedgerError {
  const at = server.label;
  const plain = (e.message.split('\n')[0] ?? '').replace(/^error:\s*/i, '');
  const make = (code: ErrorCode, message: string) => new LedgerError(code, message, at);
  switch (e.code) {
    case 'ECONNREFUSED':
      return make('not_found', 'cannot connect to the PostgreSQL server: connection refused (is it running, on this port?)');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make('not_found', `cannot connect to the PostgreSQL server: no such host ${server.host}`);
    case 'ETIMEDOUT':
      return make('not_found', 'cannot connect to the PostgreSQL server: the connection timed out');
    case '28P01':
    case '28000':
      return make('permission', `the server refused user "${server.user}": ${plain}`);
    case '3D000':
      return make('not_found', `no database "${server.database}" on the server`);
    case '42P01':
      return make('not_found', plain);
    case '42501':
      return make('permission', plain);
    case '25006':
      return make('read_only', plain);
    case '57014':
      return make('internal', `the server cancelled the statement (over the ${server.timeoutMs / 1000} s interactive limit, or by an administrator)`);
    case NO_ANSWER:
      return make('source_changed', `the PostgreSQL server sent no answer (${plain}); the next call reconnects`);
    case '57P01':
    case '57P02':
    case '57P03':
      return make('source_changed', 'the PostgreSQL server went away; the next call reconnects');
  }
  if (e.code.startsWith('08') || CONNECTION_LOST.test(e.message) || /timeout expired/i.test(e.message))
    return make('source_changed', 'lost the connection to the PostgreSQL server; the next call reconnects');
  // The driver's words when the server asks for a password and none was found anywhere.
  if (/client password must be a string/.test(e.message))
    return make('permission', `the server asks user "${server.user}" for a password, and none was given: put it in the URL, in PGPASSWORD or in ~/.pgpass`);
  if (/password/i.test(e.message)) return make('permission', plain);
  return make('internal', `PostgreSQL: ${plain}`);
}
