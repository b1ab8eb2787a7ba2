// What each part of src/ may import: the one list that the lint rule (import-layers.js) enforces and that
// ARCHITECTURE.md's "may import" column is generated from (npm run docs:layers; test/docs/layers.test.ts keeps
// the two in agreement).
//
// A unit is a folder of src/ (`routing`), a sub-folder listed on its own (`transport/http`; the rest of its parent
// is the parent's unit), or a file at the root of src/ (`main.ts`). Each unit lists the units it may import; its
// own files may always import each other, and packages from node_modules are not checked here. Anything in src/
// not listed is refused, and a file in a folder with no entry is reported until the folder gets one.
//
// Fields: unit; may (unit names, `{ unit, types: true }` for type-only imports, or '*' for anything); node: false
// when the unit may not import node:* modules; pure: files (names without .ts) that import no node:* module and
// none of the units in `without`; why: said in every lint message about the unit.

/** @typedef {string | { readonly unit: string; readonly types: true }} Allowed */
/** @typedef {{ readonly files: readonly string[]; readonly without: readonly string[] }} Pure */
/** @typedef {{ readonly unit: string; readonly may: readonly Allowed[] | '*'; readonly node?: false; readonly pure?: Pure; readonly why: string }} Layer */

const types = (unit) => ({ unit, types: true });

/** @type {readonly Layer[]} */
export const LAYERS = [
  { unit: 'lib', may: [], why: 'domain-free helpers depend on nothing else in src/' },
  { unit: 'errors', may: [], why: 'the error types depend on nothing else in src/' },
  { unit: 'tensor', may: ['lib', 'errors'], why: 'tensors and datatypes know no config, model or server' },
  { unit: 'config', may: ['lib', 'errors', 'tensor'], why: 'config parsing knows no model, runtime or server' },
  {
    unit: 'prediction',
    may: ['config'],
    node: false,
    why: 'what a model predicted per row is read from outputs alone: data in, a prediction out',
  },
  {
    unit: 'telemetry',
    may: ['lib', 'errors', 'config'],
    why: 'logging, metrics and SLO arithmetic are told, they never ask',
  },
  {
    unit: 'runtimes',
    may: ['tensor', 'errors', 'lib', 'config'],
    why: 'runtimes run a model; they must not reach up into the server',
  },
  { unit: 'repository', may: ['config', 'errors', 'lib'], why: 'the repository only reads the disk' },
  {
    unit: 'artifacts',
    may: ['repository', 'config', 'errors', 'lib', 'telemetry'],
    why: 'an artefact store is one more model repository: the registry reads it through the repository contract',
  },
  {
    unit: 'scheduler',
    may: ['tensor', 'errors', 'config', 'lib'],
    why: 'the scheduler knows instances, not the registry or the doors',
  },
  {
    unit: 'resilience',
    may: ['config', 'errors', 'lib', 'tensor'],
    node: false,
    why: 'breakers and fallback predictors are pure policy',
  },
  {
    unit: 'registry',
    may: ['repository', 'runtimes', 'scheduler', 'config', 'errors', 'lib', 'telemetry', 'tensor'],
    why: 'the registry loads versions; it must not import the data plane, the control plane or the doors',
  },
  {
    unit: 'routing',
    may: [types('registry'), 'config', 'errors', 'lib', 'prediction', 'telemetry', 'tensor'],
    pure: {
      files: [
        'verdict',
        'traffic-split',
        'routing-key',
        'divergence',
        'agreement',
        'version-window',
        'evidence-digest',
      ],
      without: ['telemetry'],
    },
    why: 'traffic policy is decided from version types, config and clocks; pure policy is data and a clock in, a decision out',
  },
  {
    unit: 'state',
    may: ['routing', types('registry'), 'config', 'errors', 'lib', 'telemetry'],
    why: 'shared control state (PostgreSQL) implements the stores routing defines; only the composition roots import it',
  },
  {
    unit: 'features',
    may: ['config', 'errors', 'lib', 'telemetry'],
    why: 'feature stores know views, not models or tensors',
  },
  {
    unit: 'features/enrichment',
    may: ['features', types('inference'), 'config', 'errors', 'lib', 'tensor', 'telemetry'],
    why: 'a version stage that turns feature rows into input tensors; it knows requests only as types',
  },
  {
    unit: 'audit',
    may: ['config', 'errors', 'lib', 'tensor', 'telemetry'],
    why: 'the prediction log records; it calls nothing',
  },
  {
    unit: 'quality',
    may: ['audit', 'config', 'errors', 'features', 'lib', 'prediction', 'tensor', 'telemetry'],
    pure: {
      files: [
        'quality-math',
        'quality-report',
        'feedback-outcome',
        'feedback-request',
        'replay-compare',
        'export-format',
        'quantile-bins',
        'drift-statistics',
        'drift-window',
        'drift-rolling-window',
        'drift-events',
        'prediction-features',
        'profile',
        'profile-accumulator',
        'profile-columns',
        'profile-build',
      ],
      without: ['telemetry'],
    },
    why: 'quality reads the prediction log and labels; its arithmetic is pure: data in, numbers out',
  },
  {
    unit: 'drift',
    may: ['config', 'errors', 'features', 'lib', 'prediction', 'tensor', 'telemetry'],
    pure: {
      files: [
        'drift-statistics',
        'drift-window',
        'drift-rolling-window',
        'drift-events',
        'quantile-bins',
        'prediction-features',
        'profile',
        'profile-accumulator',
        'profile-columns',
        'profile-build',
      ],
      without: ['telemetry'],
    },
    why: 'drift compares live inputs with a profile; its statistics are pure: data in, numbers out',
  },
  {
    unit: 'slo',
    may: [types('registry'), types('inference'), 'config', 'errors', 'lib', 'telemetry'],
    why: 'SLOs are fed outcomes and latencies; they know versions and requests only as types',
  },
  {
    unit: 'security',
    may: ['config', 'errors', 'lib', 'telemetry'],
    pure: { files: ['authorize', 'token-bucket', 'rate-limiter', 'principal'], without: ['telemetry'] },
    why: 'the gate decides from credentials and limits; it knows no model, tensor or door',
  },
  {
    unit: 'inference',
    may: [
      'audit',
      'config',
      'drift',
      'errors',
      'features',
      'features/enrichment',
      'lib',
      'quality',
      'registry',
      'resilience',
      'routing',
      'scheduler',
      'slo',
      'telemetry',
      'tensor',
    ],
    why: 'the data plane is transport-agnostic: no doors, no wire formats, no runtimes',
  },
  {
    unit: 'control',
    may: [
      'inference',
      'registry',
      'routing',
      'quality',
      'drift',
      'audit',
      'features',
      'config',
      'errors',
      'lib',
      'telemetry',
      'tensor',
    ],
    why: 'the control plane operates the domain; the doors call it, never the reverse',
  },
  {
    unit: 'protocol',
    may: ['inference', 'config', 'errors', 'tensor', 'lib'],
    why: 'wire formats convert requests and answers; they call nothing',
  },
  {
    unit: 'transport',
    may: ['control', 'inference', 'security'],
    why: 'the doors are given the data plane, the control plane and the gate',
  },
  {
    unit: 'transport/http',
    may: [
      'transport',
      'control',
      'inference',
      'protocol',
      'errors',
      'config',
      'telemetry',
      'security',
      'lib',
      'tensor',
      'version.ts',
      types('slo'),
    ],
    why: 'the HTTP door translates wire formats and calls the data and control planes only (never registry, routing, quality, drift, audit, features or runtimes)',
  },
  {
    unit: 'transport/grpc',
    may: [
      'transport',
      'control',
      'inference',
      'protocol',
      'errors',
      'config',
      'telemetry',
      'security',
      'lib',
      'tensor',
      'version.ts',
    ],
    why: 'the gRPC door translates wire formats and calls the data and control planes only; it shares nothing with the HTTP door',
  },
  {
    unit: 'preflight',
    may: [
      'config',
      'errors',
      'lib',
      'tensor',
      'telemetry',
      'repository',
      'registry',
      'features',
      'inference',
      'protocol',
    ],
    why: 'pre-deploy checks run the core in-process; the CLI calls them, never the reverse',
  },
  {
    unit: 'cli',
    may: [
      types('audit'),
      'config',
      'errors',
      'lib',
      'telemetry',
      'slo',
      'features',
      'quality',
      'drift',
      'registry',
      'repository',
      'protocol',
      'preflight',
      'main.ts',
      'inferd.ts',
      'version.ts',
    ],
    why: 'the command line starts the server or the in-process core, or calls a running server over HTTP',
  },
  { unit: 'version.ts', may: [], why: 'the version and name of the server depend on nothing' },
  { unit: 'inferd.ts', may: '*', why: 'the in-process core composes everything' },
  { unit: 'main.ts', may: '*', why: 'the composition root wires everything' },
  { unit: 'security-setup.ts', may: '*', why: 'server start-up wiring' },
  { unit: 'index.ts', may: '*', why: 'the public API re-exports' },
];
