/**
 * Servers for the shared rate-limit tests: API keys (one with its own limit), an optional per-model limit on
 * digits, and buckets in Redis under a key prefix the test chooses. Also a Redis the test owns (for killing it)
 * and the skip rule for the machine's Redis.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RunningServer } from '../../src/index.js';
import { startTestServer, type ServerConfigFields } from '../helpers/server.js';
import { OwnRedis, redisSkipReason } from '../helpers/own-redis.js';
import { DIGITS_REQUEST, keysFile, post } from './security-helpers.js';

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

export const RATE_KEYS = { limited: 'limited-rate-key-0123456789', web: 'web-rate-key-0123456789' } as const;

export interface RateServerOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly onUnavailable?: 'open' | 'closed';
  /** The `limited` key's own limit. */
  readonly keyLimit: { requests_per_second: number; burst: number };
  readonly modelLimit?: { requests_per_second: number; burst: number };
  readonly commandTimeoutMs?: number;
  readonly breaker?: { failure_threshold: number; open_ms: number };
}

export interface RateServer {
  readonly server: RunningServer;
  /** Everything logged (info and up), one JSON line each. */
  readonly logs: string[];
  /** Infers on digits with `key`; status, Retry-After and body. */
  infer(key: string): Promise<{ status: number; retryAfter: string | null; text: string }>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startRateServer(o: RateServerOptions): Promise<RateServer> {
  const dir = await mkdtemp(join(tmpdir(), 'inferd-rate-'));
  const keysPath = join(dir, 'keys.yaml');
  const rate = `{requests_per_second: ${o.keyLimit.requests_per_second}, burst: ${o.keyLimit.burst}}`;
  await writeFile(
    keysPath,
    keysFile([
      { name: 'limited', key: RATE_KEYS.limited, scopes: ['infer:digits'], rate },
      { name: 'web', key: RATE_KEYS.web, scopes: ['infer:digits'] },
    ]),
  );
  const config: ServerConfigFields = {
    model_control_mode: 'explicit',
    load_models: ['digits'],
    auth: { enabled: true, api_keys_file: keysPath, model_limits: o.modelLimit ? { digits: o.modelLimit } : {} },
    limits: {
      rate_store: 'redis',
      rate_redis: {
        url: o.redisUrl,
        key_prefix: o.keyPrefix,
        on_unavailable: o.onUnavailable ?? 'open',
        command_timeout_ms: o.commandTimeoutMs ?? 50,
        breaker: o.breaker,
      },
    },
  };
  const logs: string[] = [];
  const server = await startTestServer({ config, logs, logLevel: 'info' });
  return {
    server,
    logs,
    infer: async (key) => {
      const r = await post(server.url, '/v2/models/digits/infer', DIGITS_REQUEST, { authorization: `Bearer ${key}` });
      return { status: r.status, retryAfter: r.headers.get('retry-after'), text: r.text };
    },
    metrics: async () => (await fetch(server.metricsUrl!)).text(),
    stop: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The value of a metric line (exact name with labels), or 0 when absent. */
export function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Skip (loudly) when the machine's Redis does not answer; fail instead under INFERD_CI=1. */
export async function sharedRedisSkip(): Promise<false | string> {
  const client = new Redis(SHARED_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  const up = await client
    .connect()
    .then(() => client.ping())
    .then(
      (p) => p === 'PONG',
      () => false,
    );
  client.disconnect();
  if (up) return false;
  const message = `Redis is not reachable at ${SHARED_REDIS_URL}: start it (redis-server --daemonize yes --save "") to run the shared rate-limit tests`;
  if (process.env.INFERD_CI === '1') throw new Error(`INFERD_CI=1: ${message}`);
  process.stderr.write(`\n!!! SKIPPING the shared rate-limit (Redis) tests: ${message} !!!\n\n`);
  return message;
}

/** Skip (loudly) when redis-server is not installed; fail instead under INFERD_CI=1. */
export function redisServerSkip(): false | string {
  return redisSkipReason('the rate-store outage test');
}

export { OwnRedis };
