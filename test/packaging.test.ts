// The electron-builder config, checked as electron-builder itself loads and validates it
// (its own loader and the JSON schema its package ships), and every file it names.
// Building a package needs Electron's download, so no package is made here.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
// electron-builder's own modules, found from electron-builder itself.
const builderRequire = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const { getConfig, validateConfiguration } = builderRequire('app-builder-lib/out/util/config/config.js') as {
  getConfig(dir: string, configPath: null, fromOptions: null): Promise<Config>;
  validateConfiguration(c: unknown, log: { isEnabled: boolean; add(): void }): Promise<void>;
};
const quiet = { isEnabled: false, add() {} };

/** getConfig gives `files` as file sets, or patterns. */
type Files = Array<string | { filter: string[] }>;
interface Platform {
  target: string[];
  icon: string;
  files?: Files;
}
interface Config {
  appId: string;
  productName: string;
  directories: { buildResources: string };
  files: Files;
  asarUnpack: string[];
  npmRebuild: boolean;
  electronFuses: Record<string, boolean>;
  fileAssociations: Array<{ ext: string[]; mimeType?: string }>;
  linux: Platform;
  mac: Platform;
  win: Platform;
}

const config = await getConfig(ROOT, null, null);
const resources = path.join(ROOT, config.directories.buildResources);

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(file: string): [number, number] {
  const b = fs.readFileSync(file);
  expect(b.subarray(1, 4).toString('latin1'), file).toBe('PNG');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

/**
 * Whether a file goes into a package, as electron-builder decides: production
 * dependencies are always added ahead of the config's patterns, then the last
 * pattern that matches decides.
 */
function packed(files: Files, file: string): boolean {
  const patterns = ['**/node_modules/**/*', ...files.flatMap((f) => (typeof f === 'string' ? [f] : f.filter))];
  let inside = false;
  for (const p of patterns) {
    const not = p.startsWith('!');
    if (path.matchesGlob(file, not ? p.slice(1) : p)) inside = !not;
  }
  return inside;
}

describe('electron-builder config', () => {
  it('is what electron-builder loads, and valid against its schema', async () => {
    await expect(validateConfiguration(config, quiet)).resolves.toBeUndefined();
    // The schema check is real: a misspelt option is refused.
    await expect(validateConfiguration({ ...config, linux: { ...config.linux, tagret: ['deb'] } }, quiet)).rejects.toThrow(/does not match the API schema/);
    expect(config.productName).toBe('Ledger Inspector');
    expect([config.linux.target, config.mac.target, config.win.target]).toEqual([['AppImage', 'deb'], ['dmg'], ['nsis']]);
  });

  it('names icons that exist, at every size', () => {
    const linux = path.join(resources, config.linux.icon);
    for (const s of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) expect(pngSize(path.join(linux, `${s}x${s}.png`))).toEqual([s, s]);
    expect(pngSize(path.join(resources, 'icon.png'))).toEqual([1024, 1024]);
    // ICNS: a list of (type, length) records; these types are 16 to 1024 pixels.
    const icns = fs.readFileSync(path.join(resources, config.mac.icon));
    expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
    const types: string[] = [];
    for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4)) types.push(icns.subarray(at, at + 4).toString('latin1'));
    expect(types).toEqual(expect.arrayContaining(['is32', 'il32', 'ih32', 'it32', 'ic08', 'ic09', 'ic10']));
    // ICO: a directory of images; a width byte of 0 means 256.
    const ico = fs.readFileSync(path.join(resources, config.win.icon));
    expect(ico.readUInt16LE(2)).toBe(1);
    const sizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => ico[6 + i * 16] || 256);
    expect(sizes).toEqual([16, 24, 32, 48, 64, 128, 256]);
    expect(fs.readFileSync(path.join(resources, 'icon.svg'), 'utf8')).toContain('<svg');
  });

  it('packs the built app with better-sqlite3 unpacked and without its sources or other platforms’ binaries', () => {
    expect(config.npmRebuild).toBe(false);
    const linux = [...config.files, ...(config.linux.files ?? [])];
    const win = [...config.files, ...(config.win.files ?? [])];
    const mod = 'node_modules/better-sqlite3';
    expect(packed(linux, 'out/main/index.js')).toBe(true);
    expect(packed(linux, 'out/preload/index.cjs')).toBe(true);
    expect(packed(linux, 'src/main/index.ts')).toBe(false);
    expect(packed(linux, `${mod}/lib/index.js`)).toBe(true);
    expect(packed(linux, `${mod}/prebuilds/linux-x64.node`)).toBe(true);
    for (const gone of ['deps/sqlite3/sqlite3.c', 'src/better_sqlite3.cpp', 'build/Release/better_sqlite3.node', 'prebuilds/win32-x64.node', 'prebuilds/darwin-arm64.node'])
      expect(packed(linux, `${mod}/${gone}`), gone).toBe(false);
    expect(packed(win, `${mod}/prebuilds/win32-x64.node`)).toBe(true);
    expect(packed(win, `${mod}/prebuilds/linux-x64.node`)).toBe(false);
    expect(config.asarUnpack.some((p) => path.matchesGlob(`${mod}/prebuilds/linux-x64.node`, p))).toBe(true);
  });

  it('keeps the runAsNode fuse on, which the full snapshot’s copier needs', () => {
    expect(config.electronFuses.runAsNode).toBe(true);
    const copier = fs.readFileSync(path.join(ROOT, 'src/main/engine/copy/file-copier.ts'), 'utf8');
    expect(copier).toMatch(/spawn\(process\.execPath,[^\n]*ELECTRON_RUN_AS_NODE: '1'/);
  });

  it('associates the ledger file types', () => {
    const exts = config.fileAssociations.flatMap((a) => a.ext);
    expect(exts.sort()).toEqual(['db', 'jsonl', 'ndjson', 'sqlite', 'sqlite3']);
    expect(config.fileAssociations.find((a) => a.ext.includes('sqlite'))?.mimeType).toBe('application/vnd.sqlite3');
  });
});
