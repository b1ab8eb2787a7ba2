/**
 * Online features: the schema of `features.yaml` (stores and feature views) and of a model's `features:` mapping
 * in its `config.yaml`. Parsed once into frozen objects; every error names the file and the field.
 *
 * ```yaml
 * budget_ms: 20                      # time a request may spend fetching features (default 20)
 * stores:
 *   local: { type: sqlite, path: $STATE_DIR/features.sqlite }   # in the server's state directory; else relative to this file
 *   online: { type: redis, url: redis://127.0.0.1:6379, key_prefix: "inferd:" }
 *   feast: { type: feast, project: fraud, entity_key_serialization_version: 3 }
 * feature_views:
 *   user_profile:
 *     store: local
 *     entities: [user_id]            # or [{ name: user_id, type: INT64 }]
 *     max_age_seconds: 604800        # older values count as missing
 *     fallback: default              # default | reject (503 when the store is down)
 *     cache: { ttl_ms: 10000, max_entries: 100000, max_bytes: 67108864 }
 *     seed_csv: fraud_xgb/data/user_features.csv   # loaded into an empty store at start
 *     features:
 *       txn_count_7d: { type: INT64, default: 0, min: 0, max: 100000, on_null: impute, on_invalid: reject }
 * ```
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { deepFreeze } from '../lib/objects.js';
import { once } from '../lib/once.js';
import type { CircuitBreakerSettings } from '../lib/circuit-breaker.js';
import { resolveStateDir } from './state-dir.js';
import { PARSE_ONCE } from './parse-once.js';

/** A SQLite path starting with it is in the server's state directory (state-dir.ts), never in the repository. */
export const STATE_DIR_PREFIX = '$STATE_DIR/';

export const FEATURE_TYPES = ['FP32', 'FP64', 'INT32', 'INT64', 'BOOL'] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];

/** How a feature is checked and what replaces a value that fails. */
export interface FeatureSpec {
  readonly name: string;
  readonly type: FeatureType;
  /** Used for missing, stale, fallen-back and imputed values. NaN (the default) is a missing value for tree models. */
  readonly default: number;
  readonly min?: number | undefined;
  readonly max?: number | undefined;
  /** A null or NaN value: `impute` uses the default, `reject` fails the request with 400. */
  readonly onNull: 'impute' | 'reject';
  /** A value of the wrong type or out of range: `reject` fails the request with 400, `impute` uses the default. */
  readonly onInvalid: 'impute' | 'reject';
}

export interface EntitySpec {
  readonly name: string;
  /** How the entity value is typed in the store (matters for Feast keys). */
  readonly type: 'STRING' | 'INT64';
}

export interface CacheConfig {
  /** How long a fetched row is served from memory without asking the store. 0 turns the cache off. */
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export interface FeatureViewConfig {
  readonly name: string;
  readonly store: string;
  readonly entities: readonly EntitySpec[];
  readonly features: readonly FeatureSpec[];
  /** Values older than this (by event time) count as missing; also bounds stale-if-error. */
  readonly maxAgeMs: number;
  /** When the store cannot answer in time: `default` uses defaults (flagged), `reject` answers 503. */
  readonly fallback: 'default' | 'reject';
  readonly cache: CacheConfig;
  /** Absolute path of a CSV loaded into the store when the view has no rows there (first start). */
  readonly seedCsv?: string | undefined;
}

export type StoreConfig =
  | { readonly kind: 'sqlite'; readonly name: string; readonly path: string }
  | {
      readonly kind: 'redis';
      readonly name: string;
      readonly url: string;
      readonly keyPrefix: string;
      readonly commandTimeoutMs: number;
      readonly breaker: CircuitBreakerSettings;
    }
  | {
      readonly kind: 'feast';
      readonly name: string;
      readonly url: string;
      readonly project: string;
      readonly entityKeySerializationVersion: 2 | 3;
      readonly commandTimeoutMs: number;
      readonly breaker: CircuitBreakerSettings;
    };

export interface FeaturesConfig {
  readonly budgetMs: number;
  readonly stores: Readonly<Record<string, StoreConfig>>;
  readonly views: Readonly<Record<string, FeatureViewConfig>>;
  /** The file it came from, for messages. */
  readonly source: string;
  /** sha256 (hex) of the bytes parsed, when read from a file: what a model's signed manifest must name. */
  readonly sha256?: string;
}

/** One column of a model's input: a feature of a view, or a request-time value (`request:<name>`). */
export interface FeatureColumn {
  readonly view: string;
  readonly feature: string;
}

/** A model's mapping from features to its input tensor, in training order. */
export interface FeatureMapping {
  /** The FP32 [N, columns] input it builds; absent: the model's only input. */
  readonly input?: string | undefined;
  readonly budgetMs?: number | undefined;
  /** Request-time features: tensors of the request named by the feature, [N] or [N, 1]. */
  readonly request: readonly FeatureSpec[];
  readonly columns: readonly FeatureColumn[];
}

export const REQUEST_VIEW = 'request';
// Built the first time a features file or a model's features mapping is parsed: a default start has neither.
const schemas = once(() => {
  const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
  const name = z.string().regex(NAME, 'use letters, digits, _, - and ., starting with a letter or _');

  const featureSpecSchema = z.strictObject({
    type: z.enum(FEATURE_TYPES),
    default: z.number().nullable().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    on_null: z.enum(['impute', 'reject']).default('impute'),
    on_invalid: z.enum(['impute', 'reject']).default('reject'),
  });

  const breakerSchema = z.strictObject({
    failure_threshold: z.number().int().min(1).default(5),
    open_ms: z.number().int().min(1).default(1000),
  });

  const remoteStore = {
    url: z.string().min(1).optional(),
    command_timeout_ms: z.number().int().min(1).default(1000),
    breaker: breakerSchema.default({ failure_threshold: 5, open_ms: 1000 }),
  };

  const storeSchema = z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('sqlite'), path: z.string().min(1).default(':memory:') }),
    z.strictObject({ type: z.literal('redis'), key_prefix: z.string().default('inferd:'), ...remoteStore }),
    z.strictObject({
      type: z.literal('feast'),
      project: z.string().min(1),
      entity_key_serialization_version: z.union([z.literal(2), z.literal(3)]).default(3),
      ...remoteStore,
    }),
  ]);

  const entitySchema = z.union([name, z.strictObject({ name, type: z.enum(['STRING', 'INT64']).default('STRING') })]);

  const viewSchema = z.strictObject({
    store: z.string().min(1),
    entities: z.array(entitySchema).min(1),
    features: z
      .record(name, featureSpecSchema)
      .refine((f) => Object.keys(f).length > 0, 'a view needs at least one feature'),
    max_age_seconds: z.number().positive().default(86_400),
    fallback: z.enum(['default', 'reject']).default('default'),
    cache: z
      .strictObject({
        ttl_ms: z.number().int().min(0).default(10_000),
        max_entries: z.number().int().min(1).default(100_000),
        max_bytes: z
          .number()
          .int()
          .min(1024)
          .default(64 * 1024 * 1024),
      })
      .default({ ttl_ms: 10_000, max_entries: 100_000, max_bytes: 64 * 1024 * 1024 }),
    seed_csv: z.string().min(1).optional(),
  });

  const featuresFileSchema = z.strictObject({
    budget_ms: z.number().positive().default(20),
    stores: z.record(name, storeSchema).default({}),
    feature_views: z.record(name, viewSchema).default({}),
  });

  const featureMappingSchema = z.strictObject({
    input: z.string().min(1).optional(),
    budget_ms: z.number().positive().optional(),
    request: z.record(name, featureSpecSchema).default({}),
    columns: z
      .array(z.string().regex(/^[^:]+:[^:]+$/, "name a column '<view>:<feature>' or 'request:<feature>'"))
      .min(1),
  });
  return { featureSpecSchema, storeSchema, viewSchema, featuresFileSchema, featureMappingSchema };
});
type Schemas = ReturnType<typeof schemas>;

/** Normalises one parsed feature spec. */
export function toFeatureSpec(
  featureName: string,
  s: z.infer<Schemas['featureSpecSchema']>,
  where: string,
): FeatureSpec {
  if (s.min !== undefined && s.max !== undefined && s.min > s.max) {
    throw new ConfigError(`${where}: feature '${featureName}' has min ${s.min} above max ${s.max}`);
  }
  return {
    name: featureName,
    type: s.type,
    default: s.default ?? NaN,
    min: s.min,
    max: s.max,
    onNull: s.on_null,
    onInvalid: s.on_invalid,
  };
}

function sqlitePath(path: string, baseDir: string, stateDir: string): string {
  if (path === ':memory:') return path;
  if (path.startsWith(STATE_DIR_PREFIX)) return join(stateDir, path.slice(STATE_DIR_PREFIX.length));
  return resolve(baseDir, path);
}

function toStore(
  storeName: string,
  s: z.infer<Schemas['storeSchema']>,
  options: { readonly baseDir: string; readonly redisUrl: string; readonly stateDir: string },
): StoreConfig {
  const { baseDir, redisUrl } = options;
  if (s.type === 'sqlite')
    return { kind: 'sqlite', name: storeName, path: sqlitePath(s.path, baseDir, options.stateDir) };
  const breaker = { failureThreshold: s.breaker.failure_threshold, openMs: s.breaker.open_ms };
  const remote = { name: storeName, url: s.url ?? redisUrl, commandTimeoutMs: s.command_timeout_ms, breaker };
  if (s.type === 'redis') return { kind: 'redis', keyPrefix: s.key_prefix, ...remote };
  return {
    kind: 'feast',
    project: s.project,
    entityKeySerializationVersion: s.entity_key_serialization_version,
    ...remote,
  };
}

function toView(
  viewName: string,
  v: z.infer<Schemas['viewSchema']>,
  file: string,
  baseDir: string,
  stores: Record<string, StoreConfig>,
): FeatureViewConfig {
  if (viewName === REQUEST_VIEW)
    throw new ConfigError(`${file}: '${REQUEST_VIEW}' is reserved for request-time features; rename the view`);
  if (!stores[v.store]) {
    throw new ConfigError(
      `${file}: feature view '${viewName}' uses store '${v.store}', which is not under stores: (declared: ${Object.keys(stores).join(', ') || 'none'})`,
    );
  }
  const entities = v.entities.map((e) => (typeof e === 'string' ? { name: e, type: 'STRING' as const } : e));
  const features = Object.entries(v.features).map(([n, s]) => toFeatureSpec(n, s, `${file}: view '${viewName}'`));
  const c = v.cache;
  return {
    name: viewName,
    store: v.store,
    entities,
    features,
    fallback: v.fallback,
    maxAgeMs: v.max_age_seconds * 1000,
    cache: { ttlMs: c.ttl_ms, maxEntries: c.max_entries, maxBytes: c.max_bytes },
    seedCsv: v.seed_csv === undefined ? undefined : resolve(baseDir, v.seed_csv),
  };
}

/**
 * Validates a parsed `features.yaml` into a frozen FeaturesConfig. Relative paths are resolved against `baseDir`;
 * Redis-backed stores without a `url` use `redisUrl`.
 */
/**
 * `stateDir`: what `$STATE_DIR/` in a SQLite path stands for; default, the default state directory of the
 * repository holding the file (`baseDir`).
 */
export function parseFeaturesConfig(
  raw: unknown,
  options: { file: string; baseDir: string; redisUrl: string; stateDir?: string | undefined },
): FeaturesConfig {
  const parsed = schemas().featuresFileSchema.safeParse(raw ?? {}, PARSE_ONCE);
  if (!parsed.success)
    throw new ConfigError(`${options.file}: invalid features config:\n${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  const stores = Object.fromEntries(
    Object.entries(c.stores).map(([n, s]) => [
      n,
      toStore(n, s, { ...options, stateDir: options.stateDir ?? resolveStateDir(undefined, options.baseDir).path }),
    ]),
  );
  const views = Object.fromEntries(
    Object.entries(c.feature_views).map(([n, v]) => [n, toView(n, v, options.file, options.baseDir, stores)]),
  );
  return deepFreeze({ budgetMs: c.budget_ms, stores, views, source: options.file });
}

/** Reads and validates a `features.yaml` file. */
/** Reads and parses a features file; `stateDir` is the server's state directory (see parseFeaturesConfig). */
export function readFeaturesConfig(path: string, redisUrl: string, stateDir?: string): FeaturesConfig {
  let raw: unknown;
  let sha256: string;
  try {
    const bytes = readFileSync(path);
    sha256 = createHash('sha256').update(bytes).digest('hex');
    raw = parseYaml(bytes.toString('utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read features config ${path}: ${(err as Error).message}`, { cause: err });
  }
  return deepFreeze({
    ...parseFeaturesConfig(raw, { file: path, baseDir: dirname(resolve(path)), redisUrl, stateDir }),
    sha256,
  });
}

/** Validates a model's `features:` mapping (already YAML-parsed). */
export function parseFeatureMapping(raw: unknown, file: string): FeatureMapping {
  const parsed = schemas().featureMappingSchema.safeParse(raw, PARSE_ONCE);
  if (!parsed.success) throw new ConfigError(`${file}: invalid features mapping:\n${z.prettifyError(parsed.error)}`);
  const m = parsed.data;
  const request = Object.entries(m.request).map(([n, s]) => toFeatureSpec(n, s, `${file}: features.request`));
  const repeated = m.columns.find((c, i) => m.columns.indexOf(c) !== i);
  if (repeated)
    throw new ConfigError(`${file}: features.columns lists '${repeated}' twice; each feature feeds one column`);
  const columns = m.columns.map((c) => {
    const [view, feature] = c.split(':');
    if (view === REQUEST_VIEW && !m.request[feature]) {
      throw new ConfigError(
        `${file}: column '${c}' names a request-time feature that features.request does not declare; add '${feature}: { type: FP32 }' there`,
      );
    }
    return { view, feature };
  });
  return deepFreeze({ input: m.input, budgetMs: m.budget_ms, request, columns });
}
