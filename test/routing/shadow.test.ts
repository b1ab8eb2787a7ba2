/**
 * Shadow traffic: a sampled share of requests is mirrored to another version after the caller is answered;
 * agreement is recorded; the caller gets the primary's answers. (shadow-load.slow.test.ts: a slow shadow does not
 * hold the callers.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readJsonFixture } from '../helpers/server.js';
import { call, digitsBody, infer, MODELS, waitFor } from '../lifecycle/lifecycle-helpers.js';
import { withShadow, type ShadowView } from './shadow-helpers.js';

const reference = readJsonFixture<{ labels: number[] }>('test/fixtures/reference/digits.json');

describe('shadow traffic', () => {
  test("mirrors requests to the shadow version and records agreement; callers get the primary's answers", () =>
    withShadow(MODELS.biased, async (url, metricsUrl) => {
      const answers = [];
      for (let i = 0; i < 64; i++) answers.push(await infer(`${url}/v2/models/digits/infer`, digitsBody(i)));
      assert.deepEqual(new Set(answers.map((a) => a.version)), new Set(['1']));
      assert.deepEqual(
        answers.map((a) => a.label),
        Array.from({ length: 64 }, (_, i) => reference.labels[i % 32]),
        "the callers got version 1's labels",
      );
      // Every request is sampled (rate 1): each was mirrored, or dropped when 16 shadows were already running (a
      // loaded machine may fall behind), and every mirrored one was compared.
      const view = await waitFor('every sample mirrored or dropped, and every mirrored one compared', async () => {
        const v = (await call<ShadowView>(`${url}/v1/models/digits/traffic`)).body.shadow;
        return v && v.mirrored + v.dropped === 64 && v.rows_compared + v.errors >= v.mirrored ? v : undefined;
      });
      assert.equal(view.errors, 0);
      assert.equal(view.rows_compared, view.mirrored);
      assert.ok(view.mirrored >= 16, `only ${view.mirrored} of 64 requests were mirrored (${view.dropped} dropped)`);
      assert.ok(view.agreement! < 0.6, `the biased shadow agreed on ${view.agreement} of rows`);
      const metrics = await (await fetch(metricsUrl)).text();
      assert.match(
        metrics,
        new RegExp(`inferd_shadow_requests_total\\{model="digits",version="2"\\} ${view.mirrored}\\b`),
      );
      assert.match(metrics, /inferd_shadow_agreement_ratio\{model="digits",version="2"\} 0\.[0-5]/);
    }));
});
