import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Saved mappings and rules of the tests' own files, never the user's.
    env: { LEDGER_INSPECTOR_DATA: path.join(os.tmpdir(), `li-data-${process.pid}`) },
  },
});
