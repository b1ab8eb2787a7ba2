/**
 * The machine's Redis (127.0.0.1:6379) for the Redis-backed feature tests. Each test run writes under its own key
 * prefix (or Feast project) and deletes exactly those keys afterwards; nothing here flushes a database.
 * When Redis is not reachable the suites skip with a loud message, except under INFERD_CI=1 (set by .ci/run,
 * which starts Redis), where they fail.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = 'redis://127.0.0.1:6379';

async function reachable(): Promise<boolean> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * `false` when Redis answers (run the suite); a skip message when it does not. Throws under INFERD_CI=1, so a CI
 * run without Redis fails instead of passing on skipped tests.
 */
export async function redisSkip(): Promise<false | string> {
  if (await reachable()) return false;
  const message = `Redis is not reachable at ${REDIS_URL}: start it (redis-server --daemonize yes --save "") to run the Redis feature-store tests`;
  if (process.env.INFERD_CI === '1') throw new Error(`INFERD_CI=1: ${message}`);
  process.stderr.write(`\n!!! SKIPPING Redis feature-store tests: ${message} !!!\n\n`);
  return message;
}

/** A key prefix (redis store) or project name (feast store) unique to this test run. */
export function uniqueNamespace(kind: 'prefix' | 'project'): string {
  const id = randomUUID().slice(0, 8);
  return kind === 'prefix' ? `inferd-test:${id}:` : `inferd_test_${id}`;
}

/** Deletes the keys matching a SCAN pattern (this run's prefix `p*` or Feast project `*p`). */
export async function deleteKeys(match: string, url = REDIS_URL): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scanBuffer(cursor, 'MATCH', match, 'COUNT', 1000);
      if (keys.length) deleted += await client.del(...keys);
      cursor = next.toString();
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
