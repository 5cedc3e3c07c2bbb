#!/usr/bin/env node
// Runs the CLI: the built JavaScript (out/main/cli.js) when installed; in a checkout
// the TypeScript source itself (Node 22.18+ strips types), so it is never stale.
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';

const NEEDS = [22, 12]; // the package's "engines" (what commander 15 needs)
const [major, minor] = process.versions.node.split('.').map(Number);
const older = (m, n) => major < m || (major === m && minor < n);
if (older(...NEEDS)) {
  console.error(`ledger-inspector: needs Node ${NEEDS.join('.')} or newer (this is ${process.versions.node})`);
  process.exit(1);
}
const root = path.resolve(import.meta.dirname, '..');
const source = path.join(root, 'src/main/cli/index.ts');
// Node strips types only outside node_modules, and from 22.18 on.
const fromSource = fs.existsSync(source) && !root.split(path.sep).includes('node_modules') && !older(22, 18);
const built = path.join(root, 'out/main/cli.js');
if (!fromSource && !fs.existsSync(built)) {
  console.error('ledger-inspector: the CLI is not built; run "npm run build" (or use Node 22.18+, which runs it from source)');
  process.exit(1);
}
// Compiled code kept on disk (under the temp folder): later starts skip compiling the CLI and
// its dependencies. The engine's threads inherit it through the environment.
const cache = module.enableCompileCache?.();
if (cache?.directory) process.env.NODE_COMPILE_CACHE = cache.directory;
const { main } = await import(fromSource ? source : built);
process.exitCode = await main(process.argv.slice(2));
