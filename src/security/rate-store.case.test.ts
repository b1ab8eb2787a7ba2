/**
 * The cases every RateStore passes (memory here beside it, Redis in test/security/ against the real Redis). A file
 * of its own runs them with a factory for its store. The cases read no clock: a store with its own (Redis' TIME)
 * is checked only for what holds whenever it runs, and a refill is awaited, never timed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimit } from '../config/index.js';
import type { RateCheck, RateStore } from './rate-store.js';

export interface RateStoreUnderTest {
  readonly store: RateStore;
  /** Removes what the cases wrote (this run's Redis keys), then stops the store. */
  cleanup(): Promise<void>;
}

/** One token per 1000 s: none comes back during a case, however slow the machine. */
const SLOW: RateLimit = { requestsPerSecond: 0.001, burst: 3 };

let buckets = 0;
function check(limit: RateLimit, bucket = `key:case-${++buckets}`): RateCheck {
  return { bucket, limit, keyClass: 'cases', kind: 'key' };
}

/** Registers the shared RateStore cases under `describe(name)`. */
export function rateStoreCases(name: string, make: () => Promise<RateStoreUnderTest>): void {
  describe(`RateStore: ${name}`, () => {
    let s: RateStoreUnderTest;
    const take = (c: RateCheck) => Promise.resolve(s.store.take(c));
    before(async () => {
      s = await make();
      await s.store.start();
    });
    after(() => s?.cleanup());

    it('allows a full burst, then refuses with a whole number of seconds until the next token', async () => {
      const c = check(SLOW);
      for (let i = 0; i < SLOW.burst; i++) assert.equal(await take(c), 0, `take ${i + 1} of a burst of ${SLOW.burst}`);
      const wait = await take(c);
      assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 1 / SLOW.requestsPerSecond, `wait ${wait} s`);
    });

    it('keeps refusing a spent bucket: a refused take does not reset it', async () => {
      const c = check({ requestsPerSecond: 0.001, burst: 1 });
      assert.equal(await take(c), 0);
      for (let i = 0; i < 5; i++) assert.ok((await take(c)) >= 1, `take ${i + 2} was allowed`);
    });

    it('keeps buckets apart: spending one leaves the others full', async () => {
      const spent = check({ requestsPerSecond: 0.001, burst: 1 });
      const other = check({ requestsPerSecond: 0.001, burst: 1 });
      assert.equal(await take(spent), 0);
      assert.ok((await take(spent)) >= 1);
      assert.equal(await take(other), 0);
    });

    it('grants exactly the burst to concurrent takes of one bucket', async () => {
      const c = check({ requestsPerSecond: 0.001, burst: 5 });
      const waits = await Promise.all(Array.from({ length: 20 }, () => take(c)));
      assert.equal(waits.filter((w) => w === 0).length, 5, `waits: ${waits.join(',')}`);
      assert.ok(waits.every((w) => w === 0 || w >= 1));
    });

    it('gives a spent bucket a token back at its rate', async (t) => {
      const c = check({ requestsPerSecond: 50, burst: 1 });
      assert.equal(await take(c), 0);
      const wait = await take(c);
      if (wait === 0) return; // the machine was slow enough for the token to come back already
      assert.equal(wait, 1, '1/50 s rounds up to one whole second');
      for (;;) {
        if (t.signal.aborted) assert.fail('no token came back');
        if ((await take(c)) === 0) return;
        await sleep(5);
      }
    });

    it('is ready while it answers', () => {
      assert.equal(s.store.readinessProblem?.(), undefined);
    });
  });
}
