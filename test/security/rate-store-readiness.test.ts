/**
 * A Redis rate store that fails closed is a dependency requests need: while its Redis is down, rate-limited
 * requests are refused, so readiness is false with the reason; it is true again once Redis is back, with no traffic
 * needed to notice. Failing open (the default) lets requests through, so readiness does not follow Redis.
 * Redis is one of the test's own on a spare port (the shared one is left alone).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../helpers/wait-for.js';
import { sparePort } from '../features/spare-port.js';
import { OwnRedis, redisServerSkip, startRateServer, type RateServer } from './rate-servers.js';

const skip = redisServerSkip();

interface ReadyBody {
  reasons: Array<{ dependency?: string; reason: string }>;
}

describe('readiness follows a rate store that fails closed', { skip }, () => {
  let redis: OwnRedis;
  let open: RateServer;
  let closed: RateServer;
  const common = {
    keyLimit: { requests_per_second: 100, burst: 100 },
    commandTimeoutMs: 1000,
    breaker: { failure_threshold: 1, open_ms: 100 },
  };
  const ready = async (s: RateServer) => {
    const res = await fetch(`${s.server.url}/v2/health/ready`);
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    redis = new OwnRedis(await sparePort());
    await redis.start();
    open = await startRateServer({
      ...common,
      redisUrl: redis.url,
      keyPrefix: `ready-open-${process.pid}:`,
      onUnavailable: 'open',
    });
    closed = await startRateServer({
      ...common,
      redisUrl: redis.url,
      keyPrefix: `ready-closed-${process.pid}:`,
      onUnavailable: 'closed',
    });
  });
  after(async () => {
    await Promise.all([open?.stop(), closed?.stop()]);
    await redis?.kill();
  });

  it('Redis down: fail closed is not ready, with the reason; fail open stays ready', async (t) => {
    assert.equal((await ready(closed)).status, 200);
    await redis.kill();
    await waitFor(
      async () => (await ready(closed)).status === 400,
      'the fail-closed server to turn not ready',
      t.signal,
    );
    const body = JSON.parse((await ready(closed)).text) as ReadyBody;
    const reason = body.reasons.find((r) => r.dependency === 'rate_store');
    assert.match(
      reason?.reason ?? '',
      /Redis rate store is unreachable .*on_unavailable: closed/,
      JSON.stringify(body),
    );
    assert.ok(!JSON.stringify(body).includes(String(redis.port)), 'no address in the reason');
    assert.deepEqual(await ready(open), { status: 200, text: '' });
  });

  it('Redis back: ready again without any request', async (t) => {
    await redis.start();
    await waitFor(
      async () => (await ready(closed)).status === 200,
      'the fail-closed server to turn ready again',
      t.signal,
      50,
    );
  });
});
