// ESLint flat config: typescript-eslint's recommended rules plus the import-direction rule that keeps the layering
// in ARCHITECTURE.md true. The layering itself is data, in eslint/layers.js: each part of src/ lists what it MAY
// import (everything else in src/ is refused); eslint/import-layers.js enforces it, and npm run docs:layers
// writes it into ARCHITECTURE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './eslint/import-layers.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scripts/**', '**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { layers: layersPlugin },
    rules: { 'layers/allowed-imports': 'error' },
  },
);
