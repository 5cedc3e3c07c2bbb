#!/usr/bin/env node
// Runs the TypeScript CLI directly: Node 22.18+ strips types natively.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`ledger-inspector: needs Node 22.18 or newer (this is ${process.versions.node}); run it through npm (npx ledger-inspector), which uses the project's Node 22`);
  process.exit(1);
}
const { main } = await import('../src/main/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
