// A process that keeps appending to a ledger: argv = file, batches, batch size, pause ms [, jsonl].
// Each event records when it was written, for latency checks. Prints "started" after its first commit.
import fs from 'node:fs';
import path from 'node:path';
import { Ledger } from '../../src/main/engine/ledger.ts';

const [file, batches, size, pause, mode] = process.argv.slice(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
if (mode === 'jsonl') {
  for (let b = 0; b < Number(batches); b++) {
    const lines = Array.from({ length: Number(size) }, () => ({ ts: Date.now() / 1000, stream: 'live', event: 'tick', payload: { n: n++, sent: Date.now() } }));
    fs.appendFileSync(path.join(file!, 'live.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    if (b === 0) console.log('started');
    await sleep(Number(pause));
  }
} else {
  const ledger = Ledger.open(file!, { cacheDir: `${file}.writer-cache` });
  for (let b = 0; b < Number(batches); b++) {
    ledger.append(Array.from({ length: Number(size) }, () => ({ run_id: `live-${n % 3}`, kind: 'tick', payload: { n: n++, sent: Date.now() } })));
    if (b === 0) console.log('started');
    await sleep(Number(pause));
  }
  ledger.close();
}
