// A second process appending to a ledger: argv = file, writer name, batches, batch size.
import { Ledger } from '../../src/main/engine/open/ledger.ts';

const [file, name, batches, size] = process.argv.slice(2);
const ledger = Ledger.open(file!, { cacheDir: `${file}.cache` });
for (let b = 0; b < Number(batches); b++) {
  const events = Array.from({ length: Number(size) }, (_, i) => ({
    id: `${name}-${b}-${i}`,
    run_id: `run-${(b + i) % 3}`,
    kind: 'tick',
    payload: { writer: name, b, i },
  }));
  ledger.append(events);
  // A short pause between batches, so that the two writers' batches really interleave.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
}
ledger.close();
