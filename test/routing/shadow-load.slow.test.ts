/**
 * A slow shadow does not slow its callers down: with digits_slow (over 100 ms a row) shadowing every request,
 * callers are answered while their shadows are still running, until the shadow's in-flight limit drops samples.
 * A load scenario: it keeps calling until that shows, however long a busy machine takes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call, digitsBody, infer, MODELS, quantile, waitFor } from '../lifecycle/lifecycle-helpers.js';
import { withShadow, type ShadowView } from './shadow-helpers.js';

describe('shadow traffic under load', () => {
  test('a slow shadow does not slow the caller down: callers are answered while shadows are still running', () =>
    withShadow(MODELS.slow, async (url) => {
      const direct = await infer(`${url}/v2/models/digits/versions/2/infer`, digitsBody(0));
      assert.deepEqual([direct.status, direct.version], [200, '2'], 'the slow version answers on its own');
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
