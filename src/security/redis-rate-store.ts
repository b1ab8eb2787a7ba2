/**
 * Token buckets in Redis, shared by every replica that uses the same key prefix. Each take is one EVALSHA of the
 * bucket script (loaded with SCRIPT LOAD when Redis answers NOSCRIPT, e.g. after a restart).
 *
 * Redis down or slow must not stall requests: the client refuses commands at once while disconnected and gives up
 * after `commandTimeoutMs`; a circuit breaker stops asking after a few failures. Until Redis answers again each
 * check is decided by `onUnavailable` (open: allowed; closed: 503 UNAVAILABLE), counted per key class, and the
 * change of state is logged once each way.
 */
import { Redis } from 'ioredis';
import type { RateStoreConfig } from '../config/index.js';
import type { CircuitBreaker } from '../lib/circuit-breaker.js';
import { UnavailableError } from '../errors/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { SecurityMetrics } from '../telemetry/security-metrics.js';
import type { RateCheck, RateStore } from './rate-store.js';
import { TOKEN_BUCKET_LUA, TOKEN_BUCKET_SHA } from './token-bucket-script.js';

export type RedisRateStoreConfig = Extract<RateStoreConfig, { kind: 'redis' }>;

export interface RedisRateStoreOptions {
  readonly config: RedisRateStoreConfig;
  /** The store's circuit breaker (security-setup.ts makes it); only its call decisions and outcomes are used. */
  readonly breaker: Pick<CircuitBreaker, 'allow' | 'success' | 'failure'>;
  readonly metrics: SecurityMetrics;
  readonly logger: Logger;
}

export class RedisRateStore implements RateStore {
  private readonly client: Redis;
  private readonly config: RedisRateStoreConfig;
  private up = true;
  private pinging = false;

  constructor(private readonly options: RedisRateStoreOptions) {
    this.config = options.config;
    this.client = new Redis(options.config.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: options.config.commandTimeoutMs,
      retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    });
    // Failures surface through the checks (logged once per transition); the event itself needs a listener.
    this.client.on('error', () => {});
    options.metrics.rateStoreUp.set(1);
  }

  /**
   * Connects and loads the script (so the first request needs one round trip); a Redis that is down at start is
   * logged and retried in the background, and checks follow onUnavailable meanwhile.
   */
  async start(): Promise<void> {
    try {
      await this.client.connect();
      await this.client.script('LOAD', TOKEN_BUCKET_LUA);
    } catch (err) {
      this.markDown(err as Error);
    }
  }

  async stop(): Promise<void> {
    this.client.disconnect();
  }

  /**
   * on_unavailable: closed refuses rate-limited requests while Redis is unreachable, so readiness says so (the
   * client reconnects by itself, so readiness returns without traffic). open lets them through: not a dependency.
   */
  readinessProblem(): string | undefined {
    if (this.config.onUnavailable !== 'closed') return undefined;
    if (this.client.status === 'ready' && this.up) return undefined;
    // Without traffic no check would find Redis back: a readiness probe asks it (one PING at a time).
    if (this.client.status === 'ready' && !this.pinging) {
      this.pinging = true;
      this.client
        .ping()
        .then(
          () => this.markUp(),
          () => undefined,
        )
        .finally(() => (this.pinging = false));
    }
    return `the Redis rate store is unreachable (${this.up ? this.client.status : 'commands failing'}); rate-limited requests are refused (limits.rate_redis.on_unavailable: closed)`;
  }

  async take(check: RateCheck): Promise<number> {
    if (!this.options.breaker.allow()) return this.undecided(check);
    try {
      const wait = await this.evalBucket(check);
      this.options.breaker.success();
      this.markUp();
      return wait;
    } catch (err) {
      this.options.breaker.failure();
      this.markDown(err as Error);
      return this.undecided(check);
    }
  }

  private async evalBucket({ bucket, limit }: RateCheck): Promise<number> {
    const args = [1, `${this.config.keyPrefix}${bucket}`, limit.requestsPerSecond, limit.burst] as const;
    try {
      return Number(await this.client.evalsha(TOKEN_BUCKET_SHA, ...args));
    } catch (err) {
      if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      await this.client.script('LOAD', TOKEN_BUCKET_LUA);
      return Number(await this.client.evalsha(TOKEN_BUCKET_SHA, ...args));
    }
  }

  /** Redis could not decide: allow (fail open) or refuse (fail closed), as configured. */
  private undecided(check: RateCheck): number {
    const open = this.config.onUnavailable === 'open';
    this.options.metrics.rateStoreUnavailable.inc({
      key_class: check.keyClass,
      limit: check.kind,
      decision: open ? 'allowed' : 'refused',
    });
    if (open) return 0;
    const retryAfter = Math.max(1, Math.ceil(this.config.breaker.openMs / 1000));
    throw new UnavailableError(
      `the shared rate-limit store (Redis) is not answering and limits.rate_redis.on_unavailable is 'closed', so requests are refused; retry after ${retryAfter} s`,
      retryAfter,
    );
  }

  private markUp(): void {
    if (this.up) return;
    this.up = true;
    this.options.metrics.rateStoreUp.set(1);
    this.options.logger.info(
      { rate_store: 'redis' },
      'rate-limit store (Redis) answers again; limits are shared again',
    );
  }

  private markDown(err: Error): void {
    if (!this.up) return;
    this.up = false;
    this.options.metrics.rateStoreUp.set(0);
    const policy =
      this.config.onUnavailable === 'open'
        ? 'letting requests through unlimited (on_unavailable: open)'
        : 'refusing requests (on_unavailable: closed)';
    this.options.logger.warn(
      { rate_store: 'redis', err: err.message },
      `rate-limit store (Redis) is not answering; ${policy} until it does`,
    );
  }
}
