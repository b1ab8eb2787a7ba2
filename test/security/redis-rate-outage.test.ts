/**
 * The shared rate store's outages, on a Redis this test starts itself on a spare port (the machine's shared Redis
 * is left alone): hung (SIGSTOP), resumed, killed (SIGKILL), restarted empty. One server fails open (requests pass,
 * unlimited), one fails closed (503 with Retry-After); no request waits much beyond the command timeout, the
 * breaker stops the waiting after a few failures, each transition is logged once, and the limits are enforced
 * again, script reloaded, once Redis is back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { TOKEN_BUCKET_SHA } from '../../src/security/token-bucket-script.js';
import { eventually } from './security-helpers.js';
import { sparePort } from '../features/spare-port.js';
import { metricValue, OwnRedis, RATE_KEYS, redisServerSkip, startRateServer, type RateServer } from './rate-servers.js';

const skip = redisServerSkip();

const COMMAND_TIMEOUT_MS = 50;
/** Loopback HTTP, a digits inference and two servers in one process on a shared 2-core machine. */
const SLACK_MS = 200;
const KEY_LIMIT = { requests_per_second: 0.05, burst: 2 };
const BREAKER = { failure_threshold: 3, open_ms: 300 };

interface Outcome {
  readonly status: number;
  readonly ms: number;
  readonly retryAfter: string | null;
}

async function burst(s: RateServer, n: number): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const r = await s.infer(RATE_KEYS.limited);
    out.push({ status: r.status, ms: performance.now() - started, retryAfter: r.retryAfter });
  }
  return out;
}

function report(t: TestContext, what: string, outcomes: Outcome[]): void {
  const ms = outcomes.map((o) => o.ms).sort((x, y) => x - y);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(1);
  t.diagnostic(`${what}: ${ms.length} requests, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${ms[ms.length - 1].toFixed(1)} ms`);
}

function assertBounded(outcomes: Outcome[], what: string): void {
  const slowest = Math.max(...outcomes.map((o) => o.ms));
  assert.ok(slowest <= COMMAND_TIMEOUT_MS + SLACK_MS, `${what}: a request took ${slowest.toFixed(0)} ms, beyond the ${COMMAND_TIMEOUT_MS} ms command timeout plus ${SLACK_MS} ms`);
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
    open = await startRateServer({ ...common, keyPrefix: 'open:', onUnavailable: 'open' });
    closed = await startRateServer({ ...common, keyPrefix: 'closed:', onUnavailable: 'closed' });
  });

  after(async () => {
    await Promise.all([open?.stop(), closed?.stop()]);
    await redis?.kill();
  });

  /** Both servers limit from Redis: the burst of 2 passes, the third request is 429. */
  async function assertLimiting(): Promise<void> {
    for (const s of [open, closed]) assert.deepEqual((await burst(s, 3)).map((o) => o.status), [200, 200, 429]);
  }

  /** Waits until a server decides from Redis again (the breaker lets a probe through and it succeeds). */
  async function awaitRecovery(s: RateServer): Promise<void> {
    const decidedByRedis = async () => (await s.infer(RATE_KEYS.limited)).status !== 503 && metricValue(await s.metrics(), 'inferd_rate_store_up') === 1;
    assert.ok(await eventually(decidedByRedis, 10_000), 'the store never came back');
  }

  it('limits while Redis answers', assertLimiting);

  it('Redis hung: fail open lets the exhausted key through, fail closed answers 503 with Retry-After; waits stay bounded', async (t) => {
    redis.signal('SIGSTOP');
    const openOut = await burst(open, 10);
    const closedOut = await burst(closed, 10);
    report(t, 'hung Redis, fail open', openOut);
    report(t, 'hung Redis, fail closed', closedOut);
    assert.deepEqual(openOut.map((o) => o.status), Array(10).fill(200));
    assert.deepEqual(closedOut.map((o) => o.status), Array(10).fill(503));
    for (const o of closedOut) assert.equal(o.retryAfter, '1');
    assertBounded([...openOut, ...closedOut], 'hung Redis');
    // The breaker: after 3 timeouts the rest are decided without waiting for Redis.
    const waited = openOut.filter((o) => o.ms >= COMMAND_TIMEOUT_MS).length;
    assert.ok(waited <= BREAKER.failure_threshold + 1, `${waited} of 10 requests waited for the command timeout; the breaker should have stopped that after ${BREAKER.failure_threshold}`);
    const openMetrics = await open.metrics();
    assert.equal(metricValue(openMetrics, 'inferd_rate_store_unavailable_total{key_class="limited",limit="key",decision="allowed"}'), 10);
    assert.equal(metricValue(openMetrics, 'inferd_rate_store_up'), 0);
    assert.equal(metricValue(openMetrics, 'inferd_rate_store_breaker_state'), 2);
    assert.equal(metricValue(await closed.metrics(), 'inferd_rate_store_unavailable_total{key_class="limited",limit="key",decision="refused"}'), 10);
  });

  it('Redis resumed: the limits are enforced again (the bucket exhausted before the outage is still empty)', async () => {
    redis.signal('SIGCONT');
    await awaitRecovery(open);
    await awaitRecovery(closed);
    assert.equal((await open.infer(RATE_KEYS.limited)).status, 429);
    assert.equal((await closed.infer(RATE_KEYS.limited)).status, 429);
  });

  it('Redis killed: refused connections are decided at once, as configured', async (t) => {
    await redis.kill();
    await sleep(50);
    const openOut = await burst(open, 10);
    const closedOut = await burst(closed, 10);
    report(t, 'killed Redis, fail open', openOut);
    report(t, 'killed Redis, fail closed', closedOut);
    assert.deepEqual(openOut.map((o) => o.status), Array(10).fill(200));
    assert.deepEqual(closedOut.map((o) => o.status), Array(10).fill(503));
    assertBounded([...openOut, ...closedOut], 'killed Redis');
  });

  it('Redis restarted empty: the script is loaded again (NOSCRIPT) and limits resume from full buckets', async () => {
    await redis.start();
    await awaitRecovery(open);
    await awaitRecovery(closed);
    // awaitRecovery took one token from each; a fresh bucket of 2 has one left.
    for (const s of [open, closed]) assert.deepEqual((await burst(s, 2)).map((o) => o.status), [200, 429]);
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
      assert.equal(countLogs(s, /rate-limit store \(Redis\) is not answering/), 2, s.logs.filter((l) => /rate-limit store/.test(l)).join(''));
      assert.equal(countLogs(s, /rate-limit store \(Redis\) answers again/), 2);
    }
    assert.equal(countLogs(closed, /on_unavailable: closed/), 2);
  });
});
