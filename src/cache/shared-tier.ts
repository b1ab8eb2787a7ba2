/**
 * The shared tier of the response cache: answers in Redis under `<prefix><model>:<version>:<load>:<key>`, so
 * replicas that loaded the same version files share them and a version never reads another's (each load of a
 * version has its own `<load>`, a hash of what it loaded). A read slower than `timeoutMs`, or any Redis error,
 * is a miss; writes are not awaited by the request. One connection per URL, shared by every version using it.
 */
import { Redis } from 'ioredis';
import type { ResponseCacheRedisConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { Tensor } from '../tensor/index.js';
import { decodeAnswer, encodeAnswer } from './answer-codec.js';

interface Shared {
  readonly client: Redis;
  users: number;
}

const clients = new Map<string, Shared>();

function acquire(url: string, logger: Logger | undefined): Shared {
  let shared = clients.get(url);
  if (!shared) {
    const client = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    });
    let healthy = true;
    client.on('error', (err: Error) => {
      if (healthy) logger?.warn({ err: err.message }, 'response cache: Redis error; reading the shared tier as misses');
      healthy = false;
    });
    client.on('ready', () => (healthy = true));
    shared = { client, users: 0 };
    clients.set(url, shared);
  }
  shared.users++;
  return shared;
}

export class SharedTier {
  private readonly shared: Shared;
  private closed = false;
  /** Reads and writes that failed or timed out. */
  errors = 0;

  constructor(
    private readonly config: ResponseCacheRedisConfig,
    /** `<model>:<version>:<load>:`, after the configured prefix. */
    private readonly versionPrefix: string,
    logger?: Logger,
  ) {
    this.shared = acquire(config.url, logger);
  }

  /** The answer under `key`, or undefined (absent, unreadable, Redis down or slow). */
  async get(key: string): Promise<Tensor[] | undefined> {
    if (this.shared.client.status !== 'ready') return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const read = this.shared.client.getBuffer(this.redisKey(key));
      const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.config.timeoutMs)));
      const buffer = await Promise.race([read, late]);
      read.catch(() => (this.errors += 1)); // a late failure is counted, not thrown
      return buffer ? decodeAnswer(buffer) : undefined;
    } catch {
      this.errors++;
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes in the background; a failure is counted. */
  set(key: string, outputs: readonly Tensor[], ttlMs: number): void {
    if (this.shared.client.status !== 'ready') return;
    this.shared.client.set(this.redisKey(key), encodeAnswer(outputs), 'PX', ttlMs).catch(() => this.errors++);
  }

  private redisKey(key: string): string {
    return `${this.config.keyPrefix}${this.versionPrefix}${key}`;
  }

  /** Lets go of the connection; the last user closes it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (--this.shared.users > 0) return;
    clients.delete(this.config.url);
    this.shared.client.disconnect();
  }
}
