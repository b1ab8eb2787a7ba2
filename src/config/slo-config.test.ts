import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseModelConfigYaml } from './model-config-yaml.js';
import { parseSloConfig } from './slo-config.js';

test('slo: in config.yaml becomes a frozen SloConfig with units in the names', () => {
  const c = parseModelConfigYaml(
    'slo:\n  availability: 0.999\n  latency: { threshold_ms: 50, percentile: 0.99 }\n',
    'm/config.yaml',
  );
  assert.deepEqual(c.slo, { availability: 0.999, latency: { thresholdMs: 50, percentile: 0.99 }, windowDays: 30 });
  assert.ok(Object.isFrozen(c.slo));
});

test('either objective alone is enough; neither is an error that says what to write', () => {
  assert.deepEqual(parseSloConfig({ latency: { threshold_ms: 0.1, percentile: 0.5 }, window_days: 7 }, 'f'), {
    latency: { thresholdMs: 0.1, percentile: 0.5 },
    windowDays: 7,
  });
  assert.throws(
    () => parseSloConfig({ window_days: 7 }, 'm/config.yaml'),
    /m\/config\.yaml: invalid slo:[\s\S]*declare availability, latency or both/,
  );
});

test('objectives are fractions and the window is 1..90 days', () => {
  assert.throws(() => parseSloConfig({ availability: 99.9 }, 'f'), /invalid slo:[\s\S]*availability/);
  assert.throws(() => parseSloConfig({ availability: 1 }, 'f'), /availability/);
  assert.throws(() => parseSloConfig({ availability: 0.9, window_days: 365 }, 'f'), /window_days/);
  assert.throws(() => parseSloConfig({ availability: 0.9, extra: 1 }, 'f'), /extra/);
});

test('a latency threshold between bucket bounds is refused, naming the nearest bounds', () => {
  assert.throws(
    () => parseSloConfig({ latency: { threshold_ms: 30, percentile: 0.99 } }, 'm/config.yaml'),
    /m\/config\.yaml: slo\.latency\.threshold_ms 30 is not a bucket bound of inferd_request_duration_seconds.*use 25 or 50 \(allowed: 0\.1, 0\.25, .*, 10000\)/,
  );
  assert.throws(() => parseSloConfig({ latency: { threshold_ms: 20000, percentile: 0.99 } }, 'f'), /use 10000 \(/);
});
