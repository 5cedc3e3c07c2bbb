// `npm start` (after the build): the desktop app where Electron's binary can run. Where it
// cannot (no binary: an offline install, a CI box; no display), one line says why and the
// same app runs in serve mode on the same ledger, the sample when none is given, printing
// the URL to open in a browser.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { main } from '../src/main/cli/index.ts';
import { defaultCacheDir } from '../src/main/engine/base/cache.ts';
import { generateLedger } from '../src/main/engine/write/generate.ts';
import { SAMPLE } from '../src/main/shell/launch.ts';
import { electronBinary, electronUnavailable } from './electron-binary.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
// npm runs scripts in the package's folder; a path the user typed is relative to where they typed it.
const cwd = process.env.INIT_CWD ?? process.cwd();
const args = process.argv.slice(2).map((a) => (a.startsWith('-') ? a : path.resolve(cwd, a)));

const why = electronUnavailable();
if (!why) {
  const child = spawn(electronBinary()!, [ROOT, ...args], { stdio: 'inherit' });
  child.on('exit', (code, signal) => (process.exitCode = code ?? (signal ? 1 : 0)));
} else {
  console.log(`Ledger Inspector: ${why}; running it in serve mode instead, for a browser.`);
  let ledger = args.find((a) => !a.startsWith('-'));
  if (!ledger) {
    ledger = path.join(defaultCacheDir(), SAMPLE.file);
    if (!fs.existsSync(ledger)) {
      fs.mkdirSync(path.dirname(ledger), { recursive: true });
      generateLedger(ledger, { events: SAMPLE.events, seed: SAMPLE.seed });
    }
  }
  process.exitCode = await main(['serve', ledger]);
}
