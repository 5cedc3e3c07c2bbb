// `npm start` where Electron cannot run (here: no binary, and no display either way):
// one line says why, then the same app is served on the same ledger, the sample when
// none is given. Started for real, its URL fetched, then stopped.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { tempDir } from './fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const NO_DISPLAY = { DISPLAY: '', WAYLAND_DISPLAY: '' };

/** Runs a command in its own process group until it prints a URL, fetches the page, and stops it with Ctrl+C. */
async function startAndFetch(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const look = (d: Buffer) => {
      out += d;
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', (d: Buffer) => (out += d));
    void exited.then((code) => reject(new Error(`exited ${code} before printing a URL:\n${out}`)));
  });
  try {
    const res = await fetch(url);
    return { out, status: res.status, body: await res.text() };
  } finally {
    process.kill(-child.pid!, 'SIGINT');
    await exited;
  }
}

describe('npm start without Electron', () => {
  it('says why in one line and serves the ledger given, resolved where npm was run', async () => {
    const dir = tempDir();
    generateLedger(path.join(dir, 'mine.db'), { events: 300 });
    const r = await startAndFetch('npm', ['--prefix', ROOT, 'start', '--', 'mine.db'], { cwd: dir, env: { ...NO_DISPLAY, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') } });
    const lines = r.out.split('\n').filter((l) => l.startsWith('Ledger Inspector'));
    expect(lines[0]).toMatch(/^Ledger Inspector: .+; running it in serve mode instead, for a browser\.$/);
    expect(lines[1]).toBe(`Ledger Inspector is serving ${path.join(dir, 'mine.db')}`);
    expect(r.out).not.toMatch(/Electron failed to install|\n\s+at /);
    expect(r.status).toBe(200);
    expect(r.body).toContain('<div id="root">');
  });

  it('serves the sample ledger when none is given, generating it once', async () => {
    const cache = path.join(tempDir(), 'cache');
    const sample = path.join(cache, 'sample-ledger.db');
    const run = () => startAndFetch(process.execPath, [path.join(ROOT, 'scripts/start.ts')], { cwd: ROOT, env: { ...NO_DISPLAY, LEDGER_INSPECTOR_CACHE: cache } });
    const first = await run();
    expect(first.out).toContain(`Ledger Inspector is serving ${sample}`);
    expect(first.status).toBe(200);
    const made = fs.statSync(sample).mtimeMs;
    await run();
    expect(fs.statSync(sample).mtimeMs).toBe(made);
  });
});
