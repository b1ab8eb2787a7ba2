/**
 * The shared rate store's outages, on a Redis this test starts itself on a spare port (the machine's shared Redis
 * is left alone): hung (SIGSTOP), resumed, killed (SIGKILL), restarted empty. One server fails open (requests pass,
 * unlimited), one fails closed (503 with Retry-After); every request is answered while Redis is still hung (none
 * waits on it beyond the command timeout), the breaker opens, each transition is logged once, and the limits are
 * enforced again, script reloaded, once Redis is back. Nothing here is timed: each step waits for its event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TOKEN_BUCKET_SHA } from '../../src/security/token-bucket-script.js';
import { waitFor } from '../helpers/wait-for.js';
import { sparePort } from '../features/spare-port.js';
import { metricValue, OwnRedis, RATE_KEYS, redisServerSkip, startRateServer, type RateServer } from './rate-servers.js';

const skip = redisServerSkip();

/** Far above a loaded machine's round trip, so only a hung or dead Redis ever reaches it. */
const COMMAND_TIMEOUT_MS = 1000;
/** One token per 1000 s: a bucket emptied in one test is still empty in the next, however slow the machine. */
const KEY_LIMIT = { requests_per_second: 0.001, burst: 2 };
const BREAKER = { failure_threshold: 3, open_ms: 300 };

interface Outcome {
  readonly status: number;
  readonly retryAfter: string | null;
}

async function burst(s: RateServer, n: number): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (let i = 0; i < n; i++) {
    const r = await s.infer(RATE_KEYS.limited);
    out.push({ status: r.status, retryAfter: r.retryAfter });
  }
  return out;
}

const countLogs = (s: RateServer, pattern: RegExp) => s.logs.filter((l) => pattern.test(l)).length;

describe('rate store outage: fail open and fail closed', { skip }, () => {
  let redis: OwnRedis;
  let open: RateServer;
  let closed: RateServer;

  before(async () => {
    redis = new OwnRedis(await sparePort());
    await redis.start();
    const common = { redisUrl: redis.url, keyLimit: KEY_LIMIT, commandTimeoutMs: COMMAND_TIMEOUT_MS, breaker: BREAKER };
    open = await startRateServer({ ...common, keyPrefix: `open-${process.pid}:`, onUnavailable: 'open' });
    closed = await startRateServer({ ...common, keyPrefix: `closed-${process.pid}:`, onUnavailable: 'closed' });
  });

  after(async () => {
    await Promise.all([open?.stop(), closed?.stop()]);
    await redis?.kill();
  });

  /** Both servers limit from Redis: the burst of 2 passes, the third request is 429. */
  async function assertLimiting(): Promise<void> {
    for (const s of [open, closed])
      assert.deepEqual(
        (await burst(s, 3)).map((o) => o.status),
        [200, 200, 429],
      );
  }

  /** Waits until a server decides from Redis again (the breaker lets a probe through and it succeeds). */
  async function awaitRecovery(s: RateServer, signal: AbortSignal): Promise<void> {
    const decidedByRedis = async () =>
      (await s.infer(RATE_KEYS.limited)).status !== 503 && metricValue(await s.metrics(), 'inferd_rate_store_up') === 1;
    await waitFor(decidedByRedis, 'the rate store to answer again', signal, 50);
  }

  it('limits while Redis answers', assertLimiting);

  it('Redis hung: fail open lets the exhausted key through, fail closed answers 503 with Retry-After, all while Redis still hangs', async () => {
    redis.signal('SIGSTOP');
    // Every request of both bursts is answered while Redis is stopped: none waits on it beyond the command timeout.
    const openOut = await burst(open, 10);
    const closedOut = await burst(closed, 10);
    assert.deepEqual(
      openOut.map((o) => o.status),
      Array(10).fill(200),
    );
    assert.deepEqual(
      closedOut.map((o) => o.status),
      Array(10).fill(503),
    );
    for (const o of closedOut) assert.equal(o.retryAfter, '1');
    // The breaker: after 3 timeouts it opened, and the rest are decided without asking Redis.
    const openMetrics = await open.metrics();
    assert.equal(
      metricValue(
        openMetrics,
        'inferd_rate_store_unavailable_total{key_class="limited",limit="key",decision="allowed"}',
      ),
      10,
    );
    assert.equal(metricValue(openMetrics, 'inferd_rate_store_up'), 0);
    assert.equal(metricValue(openMetrics, 'inferd_rate_store_breaker_state'), 2);
    assert.equal(
      metricValue(
        await closed.metrics(),
        'inferd_rate_store_unavailable_total{key_class="limited",limit="key",decision="refused"}',
      ),
      10,
    );
  });

  it('Redis resumed: the limits are enforced again (the bucket exhausted before the outage is still empty)', async (t) => {
    redis.signal('SIGCONT');
    await awaitRecovery(open, t.signal);
    await awaitRecovery(closed, t.signal);
    assert.equal((await open.infer(RATE_KEYS.limited)).status, 429);
    assert.equal((await closed.infer(RATE_KEYS.limited)).status, 429);
  });

  it('Redis killed: refused connections are decided as configured', async () => {
    await redis.kill();
    const openOut = await burst(open, 10);
    const closedOut = await burst(closed, 10);
    assert.deepEqual(
      openOut.map((o) => o.status),
      Array(10).fill(200),
    );
    assert.deepEqual(
      closedOut.map((o) => o.status),
      Array(10).fill(503),
    );
  });

  it('Redis restarted empty: the script is loaded again (NOSCRIPT) and limits resume from full buckets', async (t) => {
    await redis.start();
    await awaitRecovery(open, t.signal);
    await awaitRecovery(closed, t.signal);
    // awaitRecovery took one token from each; a fresh bucket of 2 has one left.
    for (const s of [open, closed])
      assert.deepEqual(
        (await burst(s, 2)).map((o) => o.status),
        [200, 429],
      );
    // The store only ever sends EVALSHA and SCRIPT LOAD: the script is there because NOSCRIPT was answered by a load.
    const client = new Redis(redis.url);
    try {
      assert.deepEqual(await client.script('EXISTS', TOKEN_BUCKET_SHA), [1]);
    } finally {
      client.disconnect();
    }
  });

  it('each transition was logged once: down twice, back twice, per server', () => {
    for (const s of [open, closed]) {
      assert.equal(
        countLogs(s, /rate-limit store \(Redis\) is not answering/),
        2,
        s.logs.filter((l) => /rate-limit store/.test(l)).join(''),
      );
      assert.equal(countLogs(s, /rate-limit store \(Redis\) answers again/), 2);
    }
    assert.equal(countLogs(closed, /on_unavailable: closed/), 2);
  });
});
