/** The incremental renderer writes exactly what prom-client's registry.metrics() writes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram } from 'prom-client';
import { LabeledCounter } from './labeled-series.js';
import { createMetrics } from './metrics.js';
import { renderMetrics } from './render-metrics.js';
import { registerRequestMetrics } from './request-metrics.js';
import { registerResilienceMetrics } from './resilience-metrics.js';

/** Without the families whose values change from one read to the next (process, Node.js, CPU time per row). */
const modelFamilies = (text: string) =>
  text
    .split('\n')
    .filter((l) => !/(^| )(process|nodejs)_|^inferd_(cpu_seconds_per_inference|cost_per_1k_inferences)\{/.test(l))
    .join('\n');

test("the incremental text is prom-client's text", async () => {
  const statistics = () => [
    {
      name: 'digits',
      version: '1',
      inferenceCount: 7,
      executionCount: 3,
      success: { count: 6, ns: 2e6 },
      fail: { count: 1, ns: 0 },
      queue: { count: 7, ns: 1e5 },
      computeInfer: { count: 3, ns: 3e6 },
      rejected: 0,
      timedOut: 0,
      queueDepth: 2,
      inFlight: 1,
      shed: [{ reason: 'queue_full', priority: 0, count: 4 }],
    },
  ];
  const registry = createMetrics({ statistics });
  registerResilienceMetrics(registry, { statistics, guards: { listen: () => undefined } });
  const observer = registerRequestMetrics(registry, {
    versions: () => [
      {
        name: 'digits',
        version: '1',
        inferenceCount: 7,
        computeInfer: { ns: 3e6 },
        batches: [
          { batchSize: 1, count: 2 },
          { batchSize: 5, count: 1 },
        ],
        loadMs: 40,
      },
    ],
    costPerCpuSecond: 0.0001,
  });
  observer.started();
  observer.observe({
    model: 'digits',
    version: '1',
    protocol: 'http',
    outcome: 'success',
    seconds: 0.003,
    stages: { queue: 0.0002, compute: 0.002 },
  });
  observer.observe({
    model: '_unknown',
    version: '',
    protocol: 'grpc',
    outcome: 'client_error',
    seconds: 0,
    stages: {},
    refusedEarly: true,
  });
  const odd = new Counter({
    name: 'test_odd_total',
    help: 'Help with a \\ backslash\nand a newline.',
    labelNames: ['v'],
    registers: [registry],
  });
  odd.inc({ v: 'quote " backslash \\ newline \n end' }, 2);
  new Gauge({ name: 'test_special', help: 'Special values.', labelNames: ['k'], registers: [registry] }).set(
    { k: 'nan' },
    NaN,
  );
  new Histogram({
    name: 'test_histogram',
    help: 'A prom-client histogram.',
    labelNames: ['m'],
    buckets: [0.1, 1],
    registers: [registry],
  }).observe({ m: 'a' }, 0.5);
  new LabeledCounter('test_labeled_total', 'Labelled counter.', ['a', 'b'])
    .register(registry)
    .series('x"y', 'z\\w')
    .inc(3);
  const expected = modelFamilies(await registry.metrics());
  assert.match(
    expected,
    /inferd_request_duration_seconds_bucket\{model="digits",version="1",protocol="http",le="0.005"\} 1/,
  );
  assert.equal(modelFamilies(await renderMetrics(registry)), expected);
  assert.equal(modelFamilies(await renderMetrics(registry, { linesPerTurn: 1 })), expected);
});
