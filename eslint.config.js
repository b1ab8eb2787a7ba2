// ESLint flat config: typescript-eslint's recommended rules plus the import-direction rules that keep the
// layering in ARCHITECTURE.md true. Each block lists what a folder must NOT import.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, why) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [group], message: why })) }],
  },
});

const FRONT_ENDS = ['**/transport/**', '**/cli/**', '**/main.js', '**/inferd.js', '../index.js', '../../index.js'];
const DOMAIN = ['**/repository/**', '**/registry/**', '**/scheduler/**', '**/runtimes/**', '**/inference/**', '**/protocol/**'];
const ROUTING_FORBIDDEN = ['**/repository/**', '**/scheduler/**', '**/runtimes/**', '**/inference/**', '**/protocol/**', '**/features/**', '**/audit/**', ...FRONT_ENDS];
const SECURITY_FORBIDDEN = ['**/tensor/**', '**/features/**', '**/audit/**', '**/routing/**', ...DOMAIN, ...FRONT_ENDS];
const SECURITY_PURE = ['authorize', 'token-bucket', 'rate-limiter', 'principal'].map((f) => `src/security/${f}.ts`);
const QUALITY_FORBIDDEN = ['**/routing/**', '**/security/**', ...DOMAIN, ...FRONT_ENDS];
const QUALITY_PURE = [
  'quality-math', 'quality-report', 'feedback-outcome', 'feedback-request', 'replay-compare', 'export-format',
  'quantile-bins', 'drift-statistics', 'drift-window', 'drift-rolling-window', 'drift-events', 'prediction-features', 'profile', 'profile-accumulator', 'profile-columns', 'profile-build',
].map((f) => `src/quality/${f}.ts`);
const ROUTING_PURE = ['verdict', 'traffic-split', 'routing-key', 'divergence', 'agreement', 'prediction', 'version-window'].map((f) => `src/routing/${f}.ts`);

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
  layer(['src/lib/**', 'src/errors/**'], ['../**', '!./**'], 'lib/ and errors/ depend on nothing else in src/.'),
  layer(['src/tensor/**'], ['**/config/**', ...DOMAIN, ...FRONT_ENDS, '**/telemetry/**'], 'tensor/ depends only on lib/ and errors/.'),
  layer(['src/config/**'], [...DOMAIN, ...FRONT_ENDS, '**/telemetry/**'], 'config/ depends only on lib/, errors/ and tensor/ types.'),
  layer(['src/runtimes/**'], ['**/repository/**', '**/registry/**', '**/scheduler/**', '**/inference/**', '**/protocol/**', ...FRONT_ENDS], 'runtimes/ must not reach up into the server.'),
  layer(['src/scheduler/**'], ['**/repository/**', '**/registry/**', '**/inference/**', '**/protocol/**', ...FRONT_ENDS], 'scheduler/ knows instances, not the registry or front ends.'),
  layer(['src/repository/**'], ['**/registry/**', '**/scheduler/**', '**/runtimes/**', '**/inference/**', '**/protocol/**', ...FRONT_ENDS], 'repository/ only reads the disk.'),
  layer(['src/registry/**'], ['**/inference/**', '**/protocol/**', ...FRONT_ENDS], 'registry/ must not import the data plane or front ends.'),
  layer(['src/features/**'], ['**/tensor/**', ...DOMAIN, ...FRONT_ENDS], 'features/ may import config, errors, lib and telemetry only.'),
  layer(['src/audit/**'], [...DOMAIN, ...FRONT_ENDS, '**/features/**'], 'audit/ may import config, errors, lib, tensor and telemetry only.'),
  layer(['src/quality/**'], QUALITY_FORBIDDEN, 'quality/ may import audit, config, errors, features (CSV reading), lib, tensor and telemetry only.'),
  // Quality arithmetic stays pure (replaces the block above for these files).
  layer(QUALITY_PURE, [...QUALITY_FORBIDDEN, 'node:*', '**/telemetry/**'], 'pure quality math: data in, numbers out; no node:* or telemetry.'),
  layer(['src/routing/**'], ROUTING_FORBIDDEN, 'routing/ may import registry types, config, errors, lib, telemetry and tensor only.'),
  // Policy stays pure: the split, sticky hashing, the verdict and the statistics they use touch no I/O (replaces the block above for these files).
  layer(ROUTING_PURE, [...ROUTING_FORBIDDEN, 'node:*', '**/telemetry/**'], 'pure routing policy: data and a clock in, a decision out; no node:* or telemetry.'),
  layer(['src/security/**'], SECURITY_FORBIDDEN, 'security/ may import config, errors, lib and telemetry only.'),
  layer(SECURITY_PURE, [...SECURITY_FORBIDDEN, 'node:*', '**/telemetry/**'], 'pure security policy: data and a clock in, a decision out; no node:* or telemetry.'),
  { ...layer(['src/resilience/**'], ['**/features/**', '**/audit/**', '**/routing/**', '**/security/**', '**/telemetry/**', ...DOMAIN, ...FRONT_ENDS, 'node:*'], 'resilience/ (breakers, fallback predictors) is pure: config, errors, lib and tensor only.'), ignores: ['src/resilience/**/*.test.ts'] },
  layer(['src/inference/**'], ['**/protocol/**', ...FRONT_ENDS, '**/runtimes/**'], 'inference/ is transport-agnostic: no front ends, no wire formats, no runtimes.'),
  layer(['src/protocol/**'], ['**/registry/**', '**/scheduler/**', '**/runtimes/**', '**/repository/**', ...FRONT_ENDS], 'protocol/ converts wire formats; it calls nothing.'),
  layer(['src/validation/**'], ['**/transport/**', '**/cli/**', '**/main.js', '**/inferd.js', '../index.js', '**/routing/**', '**/audit/**'], 'validation/ runs the core in-process (repository, registry, inference, protocol); the CLI calls it, never the reverse.'),
  layer(['src/transport/**'], ['**/runtimes/**', '**/scheduler/**', '**/registry/**', '**/repository/**', '**/cli/**', '**/main.js'], 'front ends call the inference service only.'),
  // Later blocks replace the rule for their files: this one repeats the transport list and adds the HTTP front end.
  layer(['src/transport/grpc/**'], ['**/runtimes/**', '**/scheduler/**', '**/registry/**', '**/repository/**', '**/cli/**', '**/main.js', '**/transport/http/**', '../http/**'], 'the gRPC front end calls the inference service only.'),
  // Folders of their own for drift, SLOs and feature enrichment. Kept last: a later block replaces the rule for its files.
  layer(['src/drift/**'], [...QUALITY_FORBIDDEN, '**/quality/**', '**/slo/**', '**/audit/**'], 'drift/ may import config, errors, lib, tensor, telemetry and features (CSV reading) only.'),
  layer(
    ['quantile-bins', 'drift-statistics', 'drift-window', 'drift-rolling-window', 'drift-events', 'prediction-features', 'profile', 'profile-accumulator', 'profile-columns', 'profile-build'].map((f) => `src/drift/${f}.ts`),
    [...QUALITY_FORBIDDEN, '**/quality/**', '**/slo/**', '**/audit/**', 'node:*', '**/telemetry/**'],
    'pure drift statistics: data in, numbers out; no node:* or telemetry.',
  ),
  layer(['src/slo/**'], ['**/repository/**', '**/scheduler/**', '**/runtimes/**', '**/protocol/**', '**/routing/**', '**/quality/**', '**/drift/**', '**/features/**', '**/audit/**', '**/security/**', ...FRONT_ENDS], 'slo/ may import config, errors, lib, telemetry, registry and inference observer types only.'),
  layer(['src/features/enrichment/**'], ['**/repository/**', '**/registry/**', '**/scheduler/**', '**/runtimes/**', '**/protocol/**', '**/routing/**', '**/audit/**', '**/quality/**', '**/drift/**', ...FRONT_ENDS], 'feature enrichment may import features, config, errors, lib, tensor and inference request types only.'),
);
