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
  // A model config as a file declares it (ModelConfigSource) is read only in config/, where it is normalised;
  // everything else reads the DeclaredModelConfig (defaults filled) or the completed ModelConfig. The rule is
  // typescript-eslint's extension of no-restricted-imports, under its own name so that it adds to any other block.
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/config/**', './config/**'],
              importNames: ['ModelConfigSource'],
              message:
                'ModelConfigSource is read only in src/config/: use DeclaredModelConfig (normalizeModelConfig) or the completed ModelConfig.',
            },
          ],
        },
      ],
    },
  },
  // The dashboard's page (ui/app/): browser modules, served as written.
  {
    files: ['ui/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'performance', 'fetch', 'EventSource', 'requestAnimationFrame'].map(
          (name) => [name, 'readonly'],
        ),
      ),
    },
  },
);
