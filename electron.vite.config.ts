import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

export default defineConfig({
  main: {
    build: {
      // The engine host's worker and the bulk writer's thread are entries of their own. Shared
      // chunks sit beside them, so that a thread's file is found next to any module that starts it.
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/index.ts'),
          worker: resolve(import.meta.dirname, 'src/main/host/worker.ts'),
          'bulk-worker': resolve(import.meta.dirname, 'src/main/engine/write/bulk-worker.ts'),
          // The command line, as JavaScript: what the installed package's bin runs.
          cli: resolve(import.meta.dirname, 'src/main/cli/index.ts'),
          'jsonl-index-worker': resolve(import.meta.dirname, 'src/main/engine/jsonl/jsonl-index-worker.ts'),
          'fold-worker': resolve(import.meta.dirname, 'src/main/engine/derive/fold-worker.ts'),
          'pg-thread': resolve(import.meta.dirname, 'src/main/engine/pg/pg-thread.ts'),
        },
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    // A sandboxed preload must be one CommonJS file with nothing left to require.
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', inlineDynamicImports: true },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    plugins: [react()],
    build: {
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } },
    },
  },
});
