// Lint: the layer rule (eslint/layers.ts) over src/, and typescript-eslint's checks that the type checker leaves out.
import tseslint from 'typescript-eslint';
import layers from './eslint/layers.ts';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'dist/**'] },
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [tseslint.configs.base],
    plugins: { local: { rules: { layers } } },
    rules: {
      'local/layers': 'error',
    },
  },
);
