/**
 * A scrape of many series does not hold the event loop: /metrics is rendered a family at a time, yielding between
 * families and between chunks of a large family, so other work (inference) runs in between. Counted in event-loop
 * turns, not time. (src/telemetry/render-metrics.test.ts shows the text is prom-client's.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { buildMetricsApp } from '../../src/transport/http/metrics-app.js';
import { LabeledHistogram } from '../../src/telemetry/labeled-series.js';
import { LATENCY_BUCKETS } from '../../src/telemetry/request-metrics.js';

/** A collector-only family whose get() notes the turn it was read in (the registry renders families in order). */
function marker(registry: Registry, name: string, seen: { turn?: number }, turn: () => number): void {
  const metric = {
    name,
    help: `${name} marker`,
    type: 'gauge',
    aggregator: 'sum',
    reset: () => undefined,
    get: async () => {
      seen.turn = turn();
      return { name, help: `${name} marker`, type: 'gauge', aggregator: 'sum', values: [{ labels: {}, value: 1 }] };
    },
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

test('a scrape of 60,000 series over HTTP yields to the event loop many times between its first and last family', async () => {
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  const registry = new Registry();
  const first: { turn?: number } = {};
  const last: { turn?: number } = {};
  marker(registry, 'test_first', first, () => turns);
  const latency = new LabeledHistogram(
    'test_latency_seconds',
    'Synthetic latency.',
    ['model', 'version', 'protocol'],
    LATENCY_BUCKETS,
  ).register(registry);
  for (let m = 0; m < 1000; m++)
    for (const p of ['http', 'grpc', 'v1']) latency.series(`model_${m}`, '1', p).observe(0.001);
  marker(registry, 'test_last', last, () => turns);
  const app = buildMetricsApp(registry);
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    setImmediate(count);
    const address = app.server.address() as { port: number };
    const text = await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
    assert.equal(
      text.split('\n').filter((l) => l.startsWith('test_latency_seconds')).length,
      3000 * (LATENCY_BUCKETS.length + 3),
    );
    assert.ok(first.turn !== undefined && last.turn !== undefined, 'both markers were read');
    const between = last.turn - first.turn;
    // 57,000 lines at a few hundred per turn: dozens of turns. Rendered in one go, it would be none.
    assert.ok(between >= 20, `the event loop turned ${between} times while the scrape was rendered`);
  } finally {
    counting = false;
    await app.close();
  }
});
