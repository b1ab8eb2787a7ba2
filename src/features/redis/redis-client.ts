/**
 * The Redis connection used by the `redis` and `feast` stores, set up to fail fast: no offline queue and no
 * per-command retries (a command while disconnected is refused at once, so the breaker and the budget decide),
 * reconnecting in the background forever with a capped backoff.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../telemetry/logger.js';

export interface RedisClientOptions {
  readonly url: string;
  readonly commandTimeoutMs: number;
  /** For messages and logs. */
  readonly storeName: string;
  readonly logger: Logger;
}

/** Creates a client that does not connect until `connectRedis`. */
export function createRedisClient(options: RedisClientOptions): Redis {
  const client = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: options.commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
  });
  let healthy = true; // log the first error after each healthy period, not every reconnect attempt
  client.on('error', (err: Error) => {
    if (healthy)
      options.logger.warn(
        { store: options.storeName, err: err.message },
        `feature store '${options.storeName}': Redis error; reconnecting`,
      );
    healthy = false;
  });
  client.on('ready', () => {
    if (!healthy)
      options.logger.info({ store: options.storeName }, `feature store '${options.storeName}': Redis is back`);
    healthy = true;
  });
  return client;
}

/** Connects; a Redis that is down at start is logged and retried in the background rather than failing start. */
export async function connectRedis(client: Redis, options: RedisClientOptions): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    options.logger.warn(
      { store: options.storeName, url: options.url, err: (err as Error).message },
      `feature store '${options.storeName}': Redis unreachable at start; serving fallbacks until it answers`,
    );
  }
}

/** Escapes glob characters for SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Throws the first error of a pipeline's results; returns the values. */
export function pipelineValues<T>(results: Array<[Error | null, unknown]> | null): T[] {
  if (!results) throw new Error('Redis pipeline was not executed');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value as T;
  });
}
