import type { Redis } from 'ioredis';
import type { Logger } from '../../telemetry/logger.js';
import { connectRedis, createRedisClient, type RedisClientOptions } from './redis-client.js';

/** What every Redis-backed feature store is configured with. */
export interface RedisConnectionOptions {
  readonly name: string;
  readonly url: string;
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
}

/** The connection lifetime shared by the Redis-backed stores (inferd's layout and Feast's). */
export abstract class RedisConnection {
  readonly name: string;
  protected readonly client: Redis;
  private readonly clientOptions: RedisClientOptions;

  constructor(options: RedisConnectionOptions) {
    this.name = options.name;
    this.clientOptions = {
      url: options.url,
      commandTimeoutMs: options.commandTimeoutMs,
      storeName: options.name,
      logger: options.logger,
    };
    this.client = createRedisClient(this.clientOptions);
  }

  start(): Promise<void> {
    return connectRedis(this.client, this.clientOptions);
  }

  async stop(): Promise<void> {
    this.client.disconnect();
  }
}
