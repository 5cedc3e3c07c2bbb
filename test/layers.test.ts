// The layer rule, checked on every source file's imports: shared imports nothing
// of ours; the renderer only shared; the engine only shared and Node (never electron).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : /\.tsx?$/.test(d.name) ? [path.join(dir, d.name)] : []));
}

/** Each import of a file: a path inside src/ for relative ones, else the package name. */
function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => m[1] ?? m[2] ?? m[3]!);
  return specs.map((s) => (s.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), s)) : s));
}

const layerOf = (rel: string) => rel.split(path.sep).slice(0, rel.startsWith(`main${path.sep}engine`) ? 2 : 1).join('/');

const RULES: Record<string, (imp: string) => boolean> = {
  // Pure libraries only, that run in Node and a browser alike (format.ts: sizes, durations, display width).
  shared: (i) => i.startsWith('shared/') || ['zod', 'pretty-bytes', 'pretty-ms', 'string-width'].includes(i),
  renderer: (i) =>
    i.startsWith('shared/') ||
    i.startsWith('renderer/') ||
    (!i.startsWith('node:') && !i.startsWith('main/') && !i.startsWith('preload/') && !['electron', 'better-sqlite3'].includes(i)),
  'main/engine': (i) => i.startsWith('shared/') || i.startsWith('main/engine/') || i.startsWith('node:') || ['better-sqlite3', 'env-paths', 'tinyqueue', 'uuid', 'zod'].includes(i),
  preload: (i) => i.startsWith('shared/') || i === 'electron',
};

describe('layers', () => {
  const all = files(SRC).map((f) => ({ rel: path.relative(SRC, f), imports: imports(f) }));
  it('finds the source files and their imports', () => {
    expect(all.length).toBeGreaterThan(30);
    expect(all.find((f) => f.rel === path.join('main', 'engine', 'read', 'ledger.ts'))?.imports).toContain('better-sqlite3');
  });
  it.each(Object.keys(RULES))('%s imports only what its layer may', (layer) => {
    const broken = all
      .filter((f) => layerOf(f.rel.replaceAll(path.sep, '/')) === layer)
      .flatMap((f) => f.imports.map((i) => i.replaceAll(path.sep, '/')).filter((i) => !RULES[layer]!(i)).map((i) => `${f.rel} imports ${i}`));
    expect(broken).toEqual([]);
  });
  it('keeps electron out of everything but the shell and preload', () => {
    const users = all.filter((f) => f.imports.includes('electron')).map((f) => f.rel.replaceAll(path.sep, '/'));
    expect(users.sort()).toEqual(['main/index.ts', 'preload/index.ts']);
  });
});
