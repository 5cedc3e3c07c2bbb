import { generateLedger } from '../src/main/engine/generate.ts';
import { Ledger } from '../src/main/engine/ledger.ts';
import { TextIndex } from '../src/main/engine/text-index.ts';
import fs from 'node:fs';
fs.rmSync('/tmp/f1', { recursive: true, force: true }); fs.mkdirSync('/tmp/f1');
generateLedger('/tmp/f1/l.db', { events: 8000, runs: 30, seed: 6 });
const l = Ledger.open('/tmp/f1/l.db', { cacheDir: '/tmp/f1/cache' });
let t = performance.now();
const idx = new TextIndex(l);
console.log('open', performance.now() - t); t = performance.now();
idx.build();
console.log('build', performance.now() - t); t = performance.now();
try { const r = idx.search({ query: { text: 'chunk size' }, limit: 10000 }); console.log('search', performance.now() - t, r.events.length, r.indexed); } catch (e) { console.log((e as Error).stack?.split('\n').slice(0, 12).join('\n')); }
