// `ledger-inspector serve` as a real process, as a user starts it: a crash in it is a
// dead server, which an in-process server would hide from the test.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../bin/ledger-inspector.js');

/** Starts serve on `file` with its cache in `cacheDir`; resolves with the process and its URL. */
export async function serveProcess(file: string, cacheDir: string): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, [BIN, 'serve', file, '--json'], { env: { ...process.env, LEDGER_INSPECTOR_CACHE: cacheDir } });
  let out = '';
  server.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!).url);
    });
    server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  return { server, url };
}
