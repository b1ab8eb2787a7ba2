/**
 * The `auth:` section of the server config (authentication, scopes, rate limits), the `limits:` section (input
 * hardening), and the API keys file. README "Security" describes them.
 */
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors/index.js';
import { PARSE_ONCE } from './parse-once.js';

const rateLimitSchema = z.strictObject({
  /** Tokens added per second (the sustained rate). */
  requests_per_second: z.number().positive(),
  /** Bucket size: requests allowed at once after a quiet spell. Default: one second's worth (at least 1). */
  burst: z.number().int().positive().optional(),
});

const issuerSchema = z
  .strictObject({
    /** The `iss` claim tokens must carry. */
    issuer: z.string().min(1),
    /** Accepted `aud` values (one must match). */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** A JWKS (JSON Web Key Set) file holding the issuer's public keys. */
    jwks_file: z.string().min(1).optional(),
    /** Or a JWKS URL, fetched and cached by jose. */
    jwks_url: z.string().url().optional(),
    /** Label used in metrics for this issuer's callers (default: the issuer). */
    name: z.string().min(1).optional(),
    /** Rate limit for each subject (`sub`) of this issuer. */
    rate_limit: rateLimitSchema.optional(),
  })
  .refine((i) => (i.jwks_file === undefined) !== (i.jwks_url === undefined), {
    message: 'set exactly one of jwks_file and jwks_url',
  });

export const authConfigSchema = z.strictObject({
  /** Off by default, which is only allowed on a loopback address (or with `insecure: true`). */
  enabled: z.boolean().default(false),
  /** YAML/JSON file of hashed API keys; re-read when it changes. */
  api_keys_file: z.string().min(1).optional(),
  /** How often the keys file is checked for changes, in ms (SIGHUP re-reads it at once). */
  api_keys_poll_ms: z.number().int().min(10).default(1000),
  jwt: z
    .strictObject({
      issuers: z.array(issuerSchema).default([]),
      /** Refuse tokens without an `exp` claim (they would be valid forever); false accepts them. */
      require_exp: z.boolean().default(true),
    })
    .prefault({}),
  /** Per-model request limits, shared by every caller: `{<model>: {requests_per_second, burst}}`. */
  model_limits: z.record(z.string().min(1), rateLimitSchema).default({}),
});

export const limitsConfigSchema = z.strictObject({
  /** Deepest nesting of arrays/objects accepted in a JSON body. */
  max_json_depth: z.number().int().min(2).default(64),
  /** Most tensors in one request's `inputs`. */
  max_inputs: z.number().int().min(1).default(256),
  /** Largest BYTES element (UTF-8 bytes) in a JSON request. */
  max_string_bytes: z
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  /** Smallest body limit an inference request gets from its model's size (request-size.ts); body_limit_bytes is the largest. */
  body_limit_floor_bytes: z
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** JSON text bytes allowed per byte of tensor data when a model's body limit is derived (request-size.ts). */
  json_overhead_factor: z.number().min(1).default(8),
});

export interface RateLimit {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

export interface JwtIssuerConfig {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly jwksFile?: string | undefined;
  readonly jwksUrl?: string | undefined;
  readonly name: string;
  readonly rateLimit?: RateLimit | undefined;
}

export interface AuthConfig {
  readonly enabled: boolean;
  readonly apiKeysFile?: string | undefined;
  readonly apiKeysPollMs: number;
  readonly jwtIssuers: readonly JwtIssuerConfig[];
  /** Tokens without `exp` are refused (auth.jwt.require_exp, default true). */
  readonly jwtRequireExp: boolean;
  readonly modelLimits: Readonly<Record<string, RateLimit>>;
}

export interface InputLimits {
  readonly maxJsonDepth: number;
  readonly maxInputs: number;
  readonly maxStringBytes: number;
  /** Smallest derived inference body limit (bytes). */
  readonly bodyLimitFloorBytes: number;
  /** JSON text bytes per byte of tensor data, for derived body limits. */
  readonly jsonOverheadFactor: number;
}

/** One entry of the API keys file. The key itself is never stored: only its SHA-256. */
export interface ApiKeyEntry {
  /** Names the key in metrics and logs (the key class), e.g. `checkout-2026-11`. */
  readonly name: string;
  readonly tenant: string;
  /** Lower-case hex SHA-256 of the key. */
  readonly sha256: string;
  readonly scopes: readonly string[];
  readonly rateLimit?: RateLimit | undefined;
}

function toRateLimit(r: z.infer<typeof rateLimitSchema> | undefined): RateLimit | undefined {
  if (!r) return undefined;
  return Object.freeze({
    requestsPerSecond: r.requests_per_second,
    burst: r.burst ?? Math.max(1, Math.ceil(r.requests_per_second)),
  });
}

/** The frozen auth config. `enabled: true` needs an API keys file or a JWT issuer to check against. */
export function toAuthConfig(c: z.infer<typeof authConfigSchema>): AuthConfig {
  if (c.enabled && c.api_keys_file === undefined && c.jwt.issuers.length === 0) {
    throw new ConfigError(
      'auth.enabled is true but nothing can authenticate a caller: set auth.api_keys_file or auth.jwt.issuers',
    );
  }
  const jwtIssuers = c.jwt.issuers.map((i) =>
    Object.freeze({
      issuer: i.issuer,
      audience: [i.audience].flat(),
      jwksFile: i.jwks_file,
      jwksUrl: i.jwks_url,
      name: i.name ?? i.issuer,
      rateLimit: toRateLimit(i.rate_limit),
    }),
  );
  const modelLimits = Object.fromEntries(Object.entries(c.model_limits).map(([m, r]) => [m, toRateLimit(r)!]));
  return Object.freeze({
    enabled: c.enabled,
    apiKeysFile: c.api_keys_file,
    apiKeysPollMs: c.api_keys_poll_ms,
    jwtIssuers: Object.freeze(jwtIssuers),
    jwtRequireExp: c.jwt.require_exp,
    modelLimits: Object.freeze(modelLimits),
  });
}

export function toInputLimits(c: z.infer<typeof limitsConfigSchema>): InputLimits {
  return Object.freeze({
    maxJsonDepth: c.max_json_depth,
    maxInputs: c.max_inputs,
    maxStringBytes: c.max_string_bytes,
    bodyLimitFloorBytes: c.body_limit_floor_bytes,
    jsonOverheadFactor: c.json_overhead_factor,
  });
}

const SCOPE = /^(admin|metrics|infer:(\*|[A-Za-z0-9_.-]+))$/;

const apiKeysFileSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      name: z
        .string()
        .min(1)
        .regex(/^[A-Za-z0-9_.:/-]+$/, 'use letters, digits and _ . : / - (it becomes a metric label)'),
      tenant: z.string().min(1),
      sha256: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, 'must be the key\'s SHA-256 in hex (64 characters): printf %s "$KEY" | sha256sum'),
      scopes: z.array(z.string().regex(SCOPE, "a scope is 'infer:<model>', 'infer:*', 'admin' or 'metrics'")).min(1),
      rate_limit: rateLimitSchema.optional(),
    }),
  ),
});

/** Parses the API keys file's text (YAML or JSON): `keys: [{name, tenant, sha256, scopes, rate_limit?}]`. */
export function parseApiKeysFile(text: string, path: string): readonly ApiKeyEntry[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML or JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = apiKeysFileSchema.safeParse(raw ?? { keys: [] }, PARSE_ONCE);
  if (!parsed.success) throw new ConfigError(`${path}: invalid API keys file:\n${z.prettifyError(parsed.error)}`);
  const names = new Set<string>();
  for (const k of parsed.data.keys) {
    if (names.has(k.name))
      throw new ConfigError(`${path}: two keys are named '${k.name}'; names label metrics, so make them unique`);
    names.add(k.name);
  }
  return Object.freeze(
    parsed.data.keys.map((k) =>
      Object.freeze({
        name: k.name,
        tenant: k.tenant,
        sha256: k.sha256.toLowerCase(),
        scopes: Object.freeze([...k.scopes]),
        rateLimit: toRateLimit(k.rate_limit),
      }),
    ),
  );
}
