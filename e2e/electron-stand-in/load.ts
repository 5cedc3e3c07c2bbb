// Loads the built main process (out/main/index.js) against the Electron stand-in, in this
// process: the previous load ended, the stand-in's knobs set, then a fresh instance of the
// module imported (a new query string each time; the chunks it imports are shared).
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { standIn as StandIn } from './electron.ts';

const MAIN = path.resolve(import.meta.dirname, '../../out/main/index.js');
let loads = 0;

export async function loadMain(setup: (s: typeof StandIn) => void, argv: string[] = []): Promise<typeof StandIn> {
  if (loads++ === 0) register('./hooks.mjs', import.meta.url);
  const { standIn } = (await import('electron')) as unknown as { standIn: typeof StandIn };
  await standIn.reset();
  setup(standIn);
  // As Electron run from a folder: argv is [electron, app folder, ...the user's arguments].
  process.argv = [process.argv[0]!, path.dirname(path.dirname(MAIN)), ...argv];
  await import(`${pathToFileURL(MAIN).href}?load=${loads}`);
  return standIn;
}
