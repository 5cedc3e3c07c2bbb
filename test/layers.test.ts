// The layer rule (eslint/layers.ts), run by `npm run lint` inside `npm test`: here,
// that it finds what it must on real source text, and that src/ keeps it.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { layerViolation } from '../eslint/layers.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: ROOT });
const lint = async (file: string, text: string) => (await eslint.lintText(text, { filePath: path.join(ROOT, 'src', file) }))[0]!.messages.map((m) => m.message);

describe('layers', () => {
  it('refuses an engine reader that imports a writer, through ESLint on source text', async () => {
    expect(await lint('main/engine/read/x.ts', "import { Appender } from '../write/append.ts';\nexport const a = Appender;\n")).toEqual([
      'main/engine/read/x.ts imports main/engine/write/append.ts: engine/read may not import engine/write',
    ]);
    expect(await lint('main/engine/derive/x.ts', "import type { LedgerReader } from '../read/reader.ts';\nexport type R = LedgerReader;\n")).toEqual([]);
  });

  it.each([
    ['shared/x.ts', 'react', 'shared code imports only shared code and pure libraries'],
    ['shared/x.ts', 'main/engine/base/jobs.ts', 'shared code imports only shared code and pure libraries'],
    ['renderer/x.tsx', 'node:fs', 'the renderer runs in a browser: no Node modules'],
    ['renderer/x.tsx', 'main/engine/read/reader.ts', 'the renderer imports only shared code and its own'],
    ['preload/index.ts', 'main/host/host.ts', 'the preload imports only shared code and electron'],
    ['main/engine/derive/replay.ts', 'main/engine/write/append.ts', 'engine/derive may not import engine/write'],
    ['main/engine/base/jobs.ts', 'main/engine/read/reader.ts', 'engine/base may not import engine/read'],
    ['main/engine/replay.ts', 'shared/ledger.ts', 'engine files live in a folder of concern (base, format, layout, settings, read, write, jsonl, copy, derive, pg, open)'],
    ['main/engine/read/view.ts', 'electron', 'electron is for the desktop shell (main/index.ts) and the preload only'],
    ['main/engine/read/view.ts', 'react', 'the engine does not use react'],
    ['main/engine/read/view.ts', 'main/host/host.ts', 'the engine imports only shared code and the engine'],
  ])('%s may not import %s', (file, imp, why) => {
    expect(layerViolation(file, imp)).toBe(why);
  });

  it.each([
    ['main/engine/open/ledger.ts', 'main/engine/write/append.ts'],
    ['main/engine/read/sqlite-reader.ts', 'better-sqlite3'],
    ['main/index.ts', 'electron'],
    ['renderer/App.tsx', 'react'],
    ['main/cli/index.ts', 'main/engine/open/ledger.ts'],
  ])('%s may import %s', (file, imp) => {
    expect(layerViolation(file, imp)).toBeNull();
  });

  it('holds for every file in src/', async () => {
    const results = await eslint.lintFiles(['src']);
    expect(results.length).toBeGreaterThan(60);
    expect(results.flatMap((r) => r.messages.map((m) => `${path.relative(ROOT, r.filePath)}: ${m.message}`))).toEqual([]);
  });
});
