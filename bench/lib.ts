// Timing helpers: every figure is printed beside a baseline measured in the same run.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function time<T>(fn: () => T): { ms: number; value: T } {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
}

export function samples(n: number, fn: (i: number) => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/**
 * Times `a` and `b` once each per round, each first every other round: whichever runs
 * first pays for cold pages, and a shared machine's load changes by the second, so
 * neither side gets the better of them. Milliseconds of each, by round.
 */
export function alternately(rounds: number, a: (round: number) => void, b: (round: number) => void): { a: number[]; b: number[] } {
  const out = { a: [] as number[], b: [] as number[] };
  const runA = (i: number) => out.a.push(...samples(1, () => a(i)));
  const runB = (i: number) => out.b.push(...samples(1, () => b(i)));
  for (let i = 0; i < rounds; i++) {
    if (i % 2) {
      runA(i);
      runB(i);
    } else {
      runB(i);
      runA(i);
    }
  }
  return out;
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
export const median = (xs: number[]) => quantile(xs, 0.5);

export interface Row {
  name: string;
  value: string;
  baseline: string;
  ratio: number;
  target: string;
  ok: boolean;
}
const rows: Row[] = [];

/** Records one comparison; `ok` says whether the ratio meets the target. */
export function report(name: string, value: string, baseline: string, ratio: number, target: string, ok: boolean): void {
  rows.push({ name, value, baseline, ratio, target, ok });
  console.log(`${ok ? 'ok  ' : 'MISS'} ${name}: ${value} vs ${baseline} -> ratio ${ratio.toFixed(2)} (target ${target})`);
}

export function info(name: string, value: string): void {
  console.log(`     ${name}: ${value}`);
}

export function summary(): number {
  console.log('\nsummary');
  for (const r of rows) console.log(`  ${r.ok ? 'ok  ' : 'MISS'} ${r.name.padEnd(58)} ratio ${r.ratio.toFixed(2).padStart(6)}  target ${r.target}`);
  return rows.filter((r) => !r.ok).length;
}

export const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;
export const ms = (x: number) => `${x.toFixed(2)} ms`;

export function benchDir(): string {
  const d = path.join(os.tmpdir(), 'ledger-inspector-bench');
  fs.mkdirSync(d, { recursive: true });
  return d;
}

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * The CLI as a user has it installed: the built JavaScript under a package of its
 * own (bin, out, package.json; node_modules linked), started by the real bin
 * script, compile cache and all. From a checkout the bin runs the TypeScript
 * source instead, which starts several times slower. Built once per bench run.
 */
let installed: string | null = null;
export function installedCli(dir: string): string {
  if (installed) return installed;
  execFileSync(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, stdio: 'ignore' });
  const pkg = path.join(dir, 'installed-cli');
  fs.rmSync(pkg, { recursive: true, force: true });
  fs.mkdirSync(pkg);
  for (const part of ['bin', 'out/main', 'package.json']) fs.cpSync(path.join(ROOT, part), path.join(pkg, part), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
  installed = path.join(pkg, 'bin/ledger-inspector.js');
  return installed;
}
