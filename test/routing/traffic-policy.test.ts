/**
 * Traffic policy over HTTP: weighted split, sticky assignment by a hashed key (header or parameter), the
 * explicit URL version winning, and the management API with its events and metrics.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { call, digitsBody, infer, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { startTestServer } from '../helpers/server.js';

async function withServer(config: string, run: (server: RunningServer) => Promise<void>): Promise<void> {
  const repo = tempRepo({ digits: { versions: { 1: MODELS.digits, 2: MODELS.retrained }, config } });
  const server = await startTestServer({ repository: repo.dir });
  try {
    await run(server);
  } finally {
    await server.close();
    repo.cleanup();
  }
}

/** Sends `n` requests (in parallel batches of 8) and counts the answering versions. */
async function shares(
  url: string,
  n: number,
  body: (i: number) => string = digitsBody,
  headers?: (i: number) => Record<string, string>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i += 8) {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, k) => infer(url, body(i + k), headers?.(i + k))));
    for (const a of answers) {
      assert.equal(a.status, 200, a.error);
      counts[a.version!] = (counts[a.version!] ?? 0) + 1;
    }
  }
  return counts;
}

describe('traffic policy', () => {
  test('a rollout naming a version that is not serving is refused with 400 and what to do, not answered 503', async () => {
    const repo = tempRepo({
      digits: { versions: { 1: MODELS.digits, 2: MODELS.heavy }, config: 'version_policy: all\n' },
    });
    const server = await startTestServer({
      repository: repo.dir,
      config: { model_control_mode: 'explicit', load_models: ['*'] },
    });
    try {
      const rollouts = `${server.url}/v1/models/digits/rollouts`;
      const unload = await call(`${server.url}/v2/repository/models/digits/unload`, { body: {} });
      assert.equal(unload.status, 200);
      const refused = await call<{ error: string; code: string }>(rollouts, {
        body: { candidate: 2, stable: 1, steps: [10], interval_ms: 60_000 },
      });
      assert.equal(refused.status, 400, refused.body.error);
      assert.equal(refused.body.code, 'invalid_argument');
      assert.match(refused.body.error, /candidate version 2: .*not ready.*load it first/);
    } finally {
      await server.close();
      repo.cleanup();
    }
  });

  test('weights split requests that name no version; an explicit version in the URL always wins', () =>
    withServer('version_policy: all\ntraffic: { weights: { 1: 70, 2: 30 } }\n', async (server) => {
      const infer = `${server.url}/v2/models/digits/infer`;
      const counts = await shares(infer, 800);
      assert.ok(
        counts['2'] > 800 * 0.22 && counts['2'] < 800 * 0.38,
        `version 2 answered ${counts['2']} of 800 at weight 30`,
      );
      const set = await call<{ weights: Record<string, number>; versions: Array<{ version: number; share: number }> }>(
        `${server.url}/v1/models/digits/traffic`,
        { body: { weights: { 1: 100, 2: 0 } } },
      );
      assert.equal(set.status, 200);
      assert.deepEqual(
        set.body.versions.map((v) => [v.version, v.share]),
        [
          [1, 100],
          [2, 0],
        ],
      );
      assert.deepEqual(await shares(infer, 80), { 1: 80 });
      assert.deepEqual(
        await shares(`${server.url}/v2/models/digits/versions/2/infer`, 40),
        { 2: 40 },
        'the URL names version 2: it answers at weight 0',
      );
    }));

  test('sticky routing: the same key always reaches the same version while the weights stay the same', () =>
    withServer(
      'version_policy: all\ntraffic: { weights: { 1: 50, 2: 50 }, sticky_parameter: user_id }\n',
      async (server) => {
        const url = `${server.url}/v2/models/digits/infer`;
        const byKey = new Map<string, Set<string>>();
        const note = (key: string, version: string) => byKey.set(key, (byKey.get(key) ?? new Set()).add(version));
        for (let round = 0; round < 5; round++) {
          const keys = Array.from({ length: 60 }, (_, k) => `user-${k}`);
          const viaParameter = await Promise.all(
            keys.map((key, k) => infer(url, digitsBody(k + round, { user_id: key }))),
          );
          const viaHeader = await Promise.all(
            keys.map((key, k) => infer(url, digitsBody(k + round), { 'x-routing-key': key })),
          );
          keys.forEach((key, k) => {
            note(`param:${key}`, viaParameter[k].version!);
            note(`header:${key}`, viaHeader[k].version!);
          });
        }
        for (const [key, versions] of byKey) assert.equal(versions.size, 1, `${key} reached versions ${[...versions]}`);
        const onTwo = [...byKey].filter(([k, v]) => k.startsWith('param:') && v.has('2')).length;
        assert.ok(onTwo > 15 && onTwo < 45, `${onTwo} of 60 keys on version 2 at weight 50`);
        for (let k = 0; k < 60; k++) {
          assert.deepEqual(
            [...byKey.get(`param:user-${k}`)!],
            [...byKey.get(`header:user-${k}`)!],
            'the header and the parameter hash alike',
          );
        }
      },
    ));

  test('the traffic API validates its input, records every change as an event and exports shares', () =>
    withServer('version_policy: all\n', async (server) => {
      const traffic = `${server.url}/v1/models/digits/traffic`;
      const before = await call<{ weights: unknown; versions: Array<{ version: number; share: number }> }>(traffic);
      assert.equal(before.body.weights, null);
      assert.deepEqual(
        before.body.versions.map((v) => [v.version, v.share]),
        [
          [1, 0],
          [2, 100],
        ],
        'no weights: the highest ready version answers',
      );
      const bad = await call<{ error: string }>(traffic, { body: { weights: { one: 50 } } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error, /invalid traffic policy: .*at weights\.one/);
      const zero = await call<{ error: string }>(traffic, { body: { weights: { 1: 0 } } });
      assert.match(zero.body.error, /at least one version needs a weight above 0/);
      assert.equal((await call(`${server.url}/v1/models/nope/traffic`)).status, 404);
      await call(traffic, { body: { weights: { 1: 25, 2: 75 }, shadow: { version: 1, sample_rate: 0.5 } } });
      const events = await call<{ events: Array<{ type: string; evidence: { weights: unknown; by: string } }> }>(
        `${server.url}/v1/models/digits/events`,
      );
      const changed = events.body.events.filter((e) => e.type === 'traffic_changed');
      assert.deepEqual(
        changed.map((e) => [e.evidence.weights, e.evidence.by]),
        [[{ 1: 25, 2: 75 }, 'operator']],
      );
      const since = events.body.events.at(-1) as unknown as { seq: number };
      assert.deepEqual(
        (await call<{ events: unknown[] }>(`${server.url}/v1/models/digits/events?since=${since.seq}`)).body.events,
        [],
      );
      const metrics = await (await fetch(server.metricsUrl!)).text();
      assert.match(metrics, /inferd_traffic_share_percent\{model="digits",version="2"\} 75/);
      assert.match(metrics, /inferd_rollout_events_total\{model="digits",event="traffic_changed",check=""\} 1/);
      assert.match(metrics, /^inferd_canary_leader 1$/m, 'one process always leads its canary analysis');
    }));
});
