// Database passwords stay out of what is shown and saved: a URL comes back without
// its password and gets it again on the way to the engine; saved ones are sealed.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UrlSecrets, type Sealer } from '../src/main/engine/pg/pg-secrets.ts';

/** A real sealer (AES-GCM), standing where Electron's safeStorage does in the shell. */
function aesSealer(key = crypto.randomBytes(32)): Sealer {
  return {
    seal(plain) {
      const iv = crypto.randomBytes(12);
      const c = crypto.createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
    },
    open(sealed) {
      const b = Buffer.from(sealed, 'base64');
      const d = crypto.createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
      d.setAuthTag(b.subarray(12, 28));
      return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

describe('URL secrets', () => {
  it('shows a URL without its password and restores it for any table of that database', () => {
    const s = new UrlSecrets();
    const shown = s.remember('postgres://ann:p%40ss@db.example:5433/agents?table=events');
    expect(shown).toBe('postgres://ann@db.example:5433/agents?table=events');
    expect(s.restore('postgres://ann@db.example:5433/agents?table=other')).toBe('postgres://ann:p%40ss@db.example:5433/agents?table=other');
    // Another user, server or database has no password here; a URL with its own keeps it.
    expect(s.restore('postgres://bob@db.example:5433/agents')).toBe('postgres://bob@db.example:5433/agents');
    expect(s.restore('postgres://ann@db.example:5433/other')).toBe('postgres://ann@db.example:5433/other');
    expect(s.restore('postgres://ann:new@db.example:5433/agents')).toBe('postgres://ann:new@db.example:5433/agents');
    expect(s.restore('/tmp/ledger.db')).toBe('/tmp/ledger.db');
  });

  it('lends a password only to the server it was given for, whatever the URL\'s query names', () => {
    const s = new UrlSecrets();
    s.remember('postgres://ann:pw@db.example:5433/agents');
    // The driver connects where ?host=, ?port= or ?user= say: such a URL gets no password.
    for (const q of ['host=evil.example', 'port=5999', 'user=bob', 'host=%2Ftmp'])
      expect(s.restore(`postgres://ann@db.example:5433/agents?${q}&table=events`)).toBe(`postgres://ann@db.example:5433/agents?${q}&table=events`);
    // Options that leave the target as it was, or name it again, do.
    expect(s.restore('postgres://ann@db.example:5433/agents?sslmode=disable')).toBe('postgres://ann:pw@db.example:5433/agents?sslmode=disable');
    expect(s.restore('postgres://ann@db.example:5433/agents?host=db.example')).toBe('postgres://ann:pw@db.example:5433/agents?host=db.example');
  });

  it('keeps saved passwords sealed, readable by the same sealer only', () => {
    let saved: Record<string, string> = {};
    const sealer = aesSealer();
    const store = { get: () => saved, set: (all: Record<string, string>) => void (saved = all), sealer };
    new UrlSecrets(store).remember('postgres://ann:hunter2@db:5432/agents');
    expect(JSON.stringify(saved)).not.toContain('hunter2');
    expect(Object.keys(saved)).toEqual(['postgres://ann@db:5432/agents']);
    // A later launch: nothing in memory, the sealed password is opened.
    expect(new UrlSecrets(store).restore('postgres://ann@db:5432/agents')).toBe('postgres://ann:hunter2@db:5432/agents');
    // Sealed elsewhere (another machine's keychain): asked for again, not an error.
    expect(new UrlSecrets({ ...store, sealer: aesSealer() }).restore('postgres://ann@db:5432/agents')).toBe('postgres://ann@db:5432/agents');
  });
});
