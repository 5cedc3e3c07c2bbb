// The package as a user installs it: npm pack, then a global install into a
// temporary prefix, then the installed bin run as a command (built JavaScript,
// no type stripping inside node_modules). Offline when npm's cache has the deps.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './fixtures.ts';

const ROOT = path.join(import.meta.dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
let dir: string;
let bin: string;
// This test's Node (the project's Node 22) first on the PATH, as `#!/usr/bin/env node` finds it.
const env = () => ({ ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, LEDGER_INSPECTOR_CACHE: path.join(dir, 'cache') });

beforeAll(() => {
  dir = tempDir('li-pack-');
  const npm = (args: string[], cwd: string) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env: env(), encoding: 'utf8' });
  // Packed from a copy built on its own (what `npm pack` does through prepack), so the
  // checkout's out/ folder, which other tests serve, is never rebuilt under them.
  const stage = path.join(dir, 'stage');
  for (const f of ['package.json', 'README.md', 'bin']) fs.cpSync(path.join(ROOT, f), path.join(stage, f), { recursive: true });
  execFileSync(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build', '--outDir', path.join(stage, 'out')], { cwd: ROOT, env: env(), stdio: 'ignore' });
  const tgz = npm(['pack', '--ignore-scripts', '--pack-destination', dir], stage).trim().split('\n').at(-1)!;
  npm(['install', '-g', path.join(dir, tgz), '--prefix', path.join(dir, 'prefix'), '--prefer-offline'], dir);
  bin = path.join(dir, 'prefix', 'bin', 'ledger-inspector');
}, 300_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('npm pack and a global install', () => {
  it('gives a working ledger-inspector that runs the built JavaScript', () => {
    const installed = path.join(dir, 'prefix', 'lib', 'node_modules', 'ledger-inspector');
    expect(fs.existsSync(path.join(installed, 'out', 'main', 'cli.js'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'src'))).toBe(false);
    const run = (args: string[]) => spawnSync(bin, args, { env: env(), encoding: 'utf8' });
    expect(run(['--version'])).toMatchObject({ status: 0, stdout: `${PKG.version}\n`, stderr: '' });
    const db = path.join(dir, 'g.db');
    expect(run(['generate', db, '--events', '2000', '--runs', '10']).status).toBe(0);
    const q = run(['query', db, '--all', '--jsonl']);
    expect(q.stderr).toBe('');
    expect(q.stdout.trim().split('\n')).toHaveLength(2000);
    const runs = run(['runs', db, '--json']);
    expect(JSON.parse(runs.stdout)).toHaveLength(10);
  });

  it('serves the app from the installed package', async () => {
    const db = path.join(dir, 'g.db');
    const child = spawn(bin, ['serve', db, '--json'], { env: env() });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(JSON.parse(out).url);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
    } finally {
      const exit = new Promise((r) => child.on('exit', (c) => r(c)));
      child.kill('SIGINT');
      expect(await exit).toBe(0);
    }
  });

  it('the bin checks the Node version that "engines" names', () => {
    const [major, minor] = PKG.engines.node.replace('>=', '').split('.').map(Number);
    const source = fs.readFileSync(path.join(ROOT, 'bin', 'ledger-inspector.js'), 'utf8');
    expect(source).toContain(`const NEEDS = [${major}, ${minor}];`);
    // Debian's own Node, where it is older than that, gets one line saying so.
    const system = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' });
    const [sMajor, sMinor] = (system.stdout ?? '').replace('v', '').split('.').map(Number);
    if (system.status === 0 && (sMajor! < major! || (sMajor === major && sMinor! < minor!))) {
      const r = spawnSync('/usr/bin/node', [bin, '--version'], { encoding: 'utf8' });
      expect(r.stderr).toBe(`ledger-inspector: needs Node ${major}.${minor} or newer (this is ${system.stdout.trim().slice(1)})\n`);
      expect(r.status).toBe(1);
    }
  });
});
