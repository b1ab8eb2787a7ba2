/**
 * Shadow traffic: a sampled share of requests is mirrored to another version after the caller is answered;
 * agreement is recorded; the caller's answer and latency do not change.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readJsonFixture, startTestServer } from '../helpers/server.js';
import { call, digitsBody, infer, MODELS, quantile, tempRepo, waitFor } from '../lifecycle/lifecycle-helpers.js';

const reference = readJsonFixture<{ labels: number[] }>('test/fixtures/reference/digits.json');

interface ShadowView {
  shadow: {
    version: number;
    sample_rate: number;
    mirrored: number;
    dropped: number;
    errors: number;
    rows_compared: number;
    agreement: number | null;
  } | null;
}

async function withShadow(candidate: string, run: (url: string, metricsUrl: string) => Promise<void>): Promise<void> {
  const config = 'version_policy: all\ntraffic: { weights: { 1: 100 }, shadow: { version: 2, sample_rate: 1 } }\n';
  const repo = tempRepo({ digits: { versions: { 1: MODELS.digits, 2: candidate }, config } });
  const server = await startTestServer({ repository: repo.dir });
  try {
    await run(server.url, server.metricsUrl!);
  } finally {
    await server.close();
    repo.cleanup();
  }
}

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

  test('a slow shadow does not slow the caller down: callers are answered while shadows are still running', () =>
    withShadow(MODELS.slow, async (url) => {
      const direct = await infer(`${url}/v2/models/digits/versions/2/infer`, digitsBody(0));
      assert.ok(direct.latencyMs > 20, `the slow version takes ${direct.latencyMs.toFixed(1)} ms`);
      // A caller that waited for its shadow would leave at most one shadow running, so none would ever be dropped.
      // Callers that do not wait outrun the slow shadow until its in-flight limit (16) drops samples: keep calling
      // until that shows (on a busy machine it takes more calls, never a different answer).
      const latencies: number[] = [];
      let view: NonNullable<ShadowView['shadow']> | undefined;
      for (let i = 0; !(view && view.dropped > 0); i++) {
        const a = await infer(`${url}/v2/models/digits/infer`, digitsBody(i));
        assert.deepEqual([a.status, a.version], [200, '1']);
        latencies.push(a.latencyMs);
        if (i % 16 === 15) view = (await call<ShadowView>(`${url}/v1/models/digits/traffic`)).body.shadow!;
        assert.ok(i < 10_000, `no shadow sample was dropped after ${i} calls: the callers seem to wait for the shadow`);
      }
      assert.ok(view.mirrored > 0, 'requests were mirrored');
      // Latency is a benchmark's business on a shared machine: reported, not asserted.
      process.stderr.write(
        `shadow: ${latencies.length} calls, callers' p90 ${quantile(latencies, 0.9).toFixed(1)} ms vs the shadow's ${direct.latencyMs.toFixed(1)} ms per request\n`,
      );
      await waitFor('the shadows to agree', async () => {
        const s = (await call<ShadowView>(`${url}/v1/models/digits/traffic`)).body.shadow!;
        return s.rows_compared > 0 && s.agreement === 1 ? true : undefined;
      });
    }));
});
