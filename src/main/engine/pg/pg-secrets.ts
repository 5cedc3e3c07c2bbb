// Passwords of database URLs, kept apart from the URLs that are shown and saved: a
// window (or a served page) sees and stores each URL without its password, and the
// URL it sends back gets it again here. Where a sealer is given (Electron's
// safeStorage in the desktop shell) they are kept sealed between launches; never in
// plain text.
import { parse } from 'pg-connection-string';
import { isPgUrl, PG_URL_FILES, redact } from './pg-url.ts';

export interface Sealer {
  seal(plain: string): string;
  open(sealed: string): string;
}

export class UrlSecrets {
  private readonly memory = new Map<string, string>();
  private readonly saved: { get(): Record<string, string>; set(all: Record<string, string>): void; sealer: Sealer } | null;

  constructor(saved: UrlSecrets['saved'] = null) {
    this.saved = saved;
  }

  /** The URL as it may be shown and saved; its password remembered for `restore`. */
  remember(url: string): string {
    const shown = redact(url);
    if (shown === url) return url;
    const key = keyOf(shown);
    this.memory.set(key, url);
    if (this.saved) this.saved.set({ ...this.saved.get(), [key]: this.saved.sealer.seal(url) });
    return shown;
  }

  /** A URL given back with its password, where one was remembered for it (and it has none of its own). */
  restore(url: string): string {
    if (!isPgUrl(url) || redact(url) !== url) return url;
    const key = keyOf(url);
    const full = this.memory.get(key) ?? this.unseal(key);
    // Query parameters (?host=, ?port=, ?user=) override the URL's own parts: lent by its
    // host part alone, the password would go to whatever server the query names.
    if (!full || targetOf(full) !== targetOf(url)) return url;
    // The remembered URL lends its password; the table and options are the ones asked for now.
    const asked = new URL(url);
    asked.password = new URL(full).password;
    return asked.toString();
  }

  private unseal(key: string): string | undefined {
    const sealed = this.saved?.get()[key];
    if (!sealed) return undefined;
    try {
      return this.saved!.sealer.open(sealed);
    } catch {
      return undefined; // sealed by another user or machine: the password is asked for again
    }
  }
}

/** The server, port, user and database the driver connects to, query parameters included; null when it cannot tell. */
function targetOf(url: string): string | null {
  const u = new URL(url);
  // Without the certificate files, which the parse would read.
  for (const name of PG_URL_FILES) u.searchParams.delete(name);
  try {
    const c = parse(u.toString());
    return JSON.stringify([c.host, c.port, c.user, c.database]);
  } catch {
    return null;
  }
}

/** One password per user, server and database, whatever table or options a URL adds. */
function keyOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.username}@${u.host}${u.pathname}`;
}
