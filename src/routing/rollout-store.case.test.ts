/**
 * The cases every RolloutStore passes (SQLite in sqlite/ beside it). A file of its own runs them with a factory
 * that opens its store at one location, as often as asked: what was saved before a close must load after a reopen.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RoutingEvent } from './event-log.js';
import type { Rollout } from './rollout.js';
import type { RolloutStore } from './rollout-store.js';
import { parseRolloutSpec } from './rollout-spec.js';
import type { TrafficPolicy } from './traffic-policy.js';

export interface RolloutStoreFactory {
  /** Opens the store at a location of its own for `name` (a case's name), the same location each time. */
  open(name: string): Promise<RolloutStore>;
  /** Removes every location the cases used. */
  cleanup(): Promise<void>;
}

/** A rollout of digits (candidate 2) at its second step. */
export function sampleRollout(id: string, status: Rollout['status'], startedAt: number): Rollout {
  const spec = parseRolloutSpec({
    candidate: 2,
    steps: [10, 50, 100],
    interval_ms: 1000,
    checks: { error_rate: { min_samples: 5 } },
  });
  return {
    id,
    model: 'digits',
    spec,
    stable: 1,
    status,
    stepIndex: 1,
    weight: 50,
    startedAt,
    stepStartedAt: startedAt + 10,
    reviewAt: startedAt + 1010,
    lastDecision: {
      action: 'advance',
      at: startedAt + 10,
      reason: 'every check passed at 10%: advancing to 50%',
      failed: [],
      checks: [],
      by: 'analysis',
    },
  };
}

const event = (seq: number, extra: Partial<RoutingEvent> = {}): RoutingEvent => ({
  seq,
  time: new Date(seq * 1000).toISOString(),
  model: 'digits',
  type: 'rollout_held',
  message: `event ${seq}`,
  ...extra,
});

const policy = (weights: Array<[number, number]>, failed: number[] = []): TrafficPolicy => ({
  weights: new Map(weights),
  stickyParameter: 'user',
  shadow: { version: 2, sampleRate: 0.1 },
  failed: new Set(failed),
});

/** A policy as plain data, to compare. */
const plain = (p: TrafficPolicy) => ({
  weights: p.weights && [...p.weights],
  sticky: p.stickyParameter,
  shadow: p.shadow,
  failed: [...p.failed],
});

/** Registers the shared RolloutStore cases under `describe(name)`. */
export function rolloutStoreCases(name: string, factory: RolloutStoreFactory): void {
  describe(`RolloutStore: ${name}`, () => {
    after(() => factory.cleanup());

    /** Opens the case's store, runs `fn`, closes it. */
    async function withStore<T>(caseName: string, fn: (store: RolloutStore) => Promise<T>): Promise<T> {
      const store = await factory.open(caseName);
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    }

    it('a new store loads nothing and names where it keeps its state', async () => {
      await withStore('empty', async (store) => {
        assert.ok(store.location.length > 0);
        assert.deepEqual(await store.load(10), { rollouts: [], events: [], policies: [] });
      });
    });

    it('keeps rollouts across a reopen: oldest first, the latest write of each winning, every field intact', async () => {
      const first = sampleRollout('a', 'progressing', 1000);
      await withStore('rollouts', async (store) => {
        await store.saveRollout(first, 2000);
        await store.saveRollout(sampleRollout('b', 'succeeded', 500), 600);
        await store.saveRollout({ ...first, status: 'paused', weight: 10 }, 3000);
      });
      const saved = await withStore('rollouts', (store) => store.load(10));
      assert.deepEqual(
        saved.rollouts.map((r) => [r.id, r.status, r.weight]),
        [
          ['b', 'succeeded', 50],
          ['a', 'paused', 10],
        ],
      );
      assert.deepEqual(
        saved.rollouts[1],
        JSON.parse(JSON.stringify({ ...first, status: 'paused', weight: 10 })),
        'undefined fields stay absent',
      );
    });

    it('gives back the newest events up to the limit, in sequence order, with their evidence', async () => {
      await withStore('events', async (store) => {
        for (let seq = 1; seq <= 5; seq++)
          await store.saveEvent(event(seq, { rollout: 'a', version: 2, evidence: { seq, nested: { ok: true } } }));
        await store.saveEvent(event(6));
      });
      const { events } = await withStore('events', (store) => store.load(3));
      assert.deepEqual(
        events.map((e) => e.seq),
        [4, 5, 6],
      );
      assert.deepEqual(events[0], event(4, { rollout: 'a', version: 2, evidence: { seq: 4, nested: { ok: true } } }));
      assert.deepEqual(events[2], event(6), 'an event without version, rollout or evidence comes back without them');
    });

    it('keeps one traffic policy per model, the last one set', async () => {
      await withStore('policies', async (store) => {
        await store.savePolicy(
          'digits',
          policy([
            [1, 90],
            [2, 10],
          ]),
          1000,
        );
        await store.savePolicy('cancer', policy([[1, 100]]), 1000);
        await store.savePolicy(
          'digits',
          policy(
            [
              [1, 50],
              [2, 50],
            ],
            [3],
          ),
          2000,
        );
      });
      const { policies } = await withStore('policies', (store) => store.load(10));
      const byModel = Object.fromEntries(policies.map((p) => [p.model, plain(p.policy)]));
      assert.deepEqual(byModel, {
        cancer: plain(policy([[1, 100]])),
        digits: plain(
          policy(
            [
              [1, 50],
              [2, 50],
            ],
            [3],
          ),
        ),
      });
    });

    it('keeps a policy without weights (the highest ready version answers) as one without weights', async () => {
      await withStore('no-weights', (store) =>
        store.savePolicy('digits', { stickyParameter: 'user_id', failed: new Set([2]) }, 1000),
      );
      const { policies } = await withStore('no-weights', (store) => store.load(10));
      assert.equal(policies.length, 1);
      assert.equal(policies[0].policy.weights, undefined);
      assert.equal(policies[0].policy.shadow, undefined);
      assert.deepEqual([policies[0].policy.stickyParameter, [...policies[0].policy.failed]], ['user_id', [2]]);
    });
  });
}
