// Issue 13 target: 1M events through `query --all --jsonl` into a pipe, with flat
// memory, against a bare better-sqlite3 iterate + write of the same rows.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { info, rate, report } from './lib.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Runs a module-level script in a child Node, drains its stdout, returns the time, bytes and the child's peak RSS. */
function drain(script: string, args: string[]): Promise<{ ms: number; bytes: number; rssMiB: number }> {
  // The child's own high-water mark (VmHWM, in KiB): Linux carries getrusage's maxrss over
  // fork and exec, so a child of a big bench process would report the parent's size.
  const peak = `(() => { try { return Number(/VmHWM:\\s+(\\d+)/.exec(peakOf('/proc/self/status', 'utf8'))[1]); } catch { return process.resourceUsage().maxRSS; } })()`;
  const wrapped = `import { readFileSync as peakOf } from 'node:fs';\n${script}\nprocess.on('exit', () => process.stderr.write('\\nmaxrss ' + ${peak} + '\\n'));`;
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', wrapped, '--', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let err = '';
    child.stdout.on('data', (d: Buffer) => (bytes += d.length));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const rss = /maxrss (\d+)/.exec(err);
      if (code !== 0 || !rss) return reject(new Error(`bench child failed (${code}): ${err}`));
      resolve({ ms: performance.now() - t, bytes, rssMiB: Number(rss[1]) / 1024 });
    });
  });
}

// (Under -e, the script's arguments start at argv[1].)
// The baseline: the same rows straight from better-sqlite3, one JSON object a line, in 64 KiB writes that wait for the pipe.
const BARE = `
import Database from 'better-sqlite3';
const db = new Database(process.argv[1], { readonly: true });
const rows = db.prepare('SELECT offset, id, run_id, seq, kind, actor, created_at AS time, session_id, model_id, payload FROM events ORDER BY offset').iterate();
let buf = [];
let size = 0;
for (const r of rows) {
  const line = JSON.stringify(r) + '\\n';
  buf.push(line);
  size += line.length;
  if (size > 65536) {
    if (!process.stdout.write(buf.join(''))) await new Promise((r) => process.stdout.once('drain', r));
    buf = [];
    size = 0;
  }
}
process.stdout.write(buf.join(''));`;

// The CLI as installed: the built JavaScript (from source, Node's type stripping adds about 25 MiB).
const CLI = `
const { main } = await import('./out/main/cli.js');
process.exitCode = await main(process.argv.slice(1));`;

export async function benchCliStream(file: string, events: number): Promise<void> {
  execFileSync(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'ignore' });
  // Two rounds, alternating, the faster of each kept: a busy machine slows one run, not both kinds.
  const runs = { bare: [] as Awaited<ReturnType<typeof drain>>[], cli: [] as Awaited<ReturnType<typeof drain>>[] };
  for (let i = 0; i < 2; i++) {
    runs.bare.push(await drain(BARE, [file]));
    runs.cli.push(await drain(CLI, ['query', file, '--all', '--jsonl', '--cache-dir', path.join(path.dirname(file), 'cache')]));
  }
  const fastest = (xs: Awaited<ReturnType<typeof drain>>[]) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const bare = fastest(runs.bare);
  const cli = { ...fastest(runs.cli), rssMiB: Math.max(...runs.cli.map((r) => r.rssMiB)) };
  info('bare better-sqlite3 iterate + write', `${rate(events, bare.ms)}, ${(bare.bytes / 2 ** 20).toFixed(0)} MiB, peak RSS ${bare.rssMiB.toFixed(0)} MiB`);
  info('query --all --jsonl', `${rate(events, cli.ms)}, ${(cli.bytes / 2 ** 20).toFixed(0)} MiB, peak RSS ${cli.rssMiB.toFixed(0)} MiB`);
  const ratio = bare.ms / cli.ms;
  report(`query --all --jsonl of ${events.toLocaleString('en-US')} events vs bare iterate + write`, rate(events, cli.ms), rate(events, bare.ms), ratio, '>= 0.5', ratio >= 0.5);
  report('query --all --jsonl peak RSS (MiB) vs the 150 MiB budget', `${cli.rssMiB.toFixed(0)} MiB`, '150 MiB', 150 / cli.rssMiB, '>= 1 (under 150 MiB)', cli.rssMiB < 150);
}
