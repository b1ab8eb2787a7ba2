import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LATENCY_SLO_BOUNDS_SECONDS, parseSloConfig } from '../config/slo-config.js';
import { LATENCY_BUCKETS } from '../telemetry/request-metrics.js';
import { buildSloRules, type AlertingRule, type RecordingRule } from './slo-rules.js';

const slo = parseSloConfig(
  { availability: 0.999, latency: { threshold_ms: 2.5, percentile: 0.95 }, window_days: 3 },
  'test',
);

test('the SLO threshold bounds are the latency histogram buckets', () => {
  assert.deepEqual([...LATENCY_SLO_BOUNDS_SECONDS], LATENCY_BUCKETS);
});

test('one group per model: ratios for every window, objective, budget, then a page and a ticket alert per SLI', () => {
  const { groups } = buildSloRules([{ model: 'digits', slo }], { runbookBaseUrl: 'https://runbooks.example/inferd/' });
  assert.deepEqual(
    groups.map((g) => g.name),
    ['inferd-slo-digits'],
  );
  const rules = groups[0].rules;
  const records = rules.filter((r): r is RecordingRule => 'record' in r);
  const alerts = rules.filter((r): r is AlertingRule => 'alert' in r);
  // window_days 3 is also a burn window: recorded once, not twice.
  const ratios = records.filter(
    (r) => r.labels.slo === 'availability' && r.record.startsWith('model:inferd_slo_errors:ratio_rate'),
  );
  assert.deepEqual(
    ratios.map((r) => r.record.slice('model:inferd_slo_errors:ratio_rate'.length)),
    ['5m', '30m', '1h', '2h', '6h', '1d', '3d'],
  );
  assert.deepEqual(
    alerts.map((a) => `${a.alert} ${a.labels.severity}`),
    [
      'InferdAvailabilityFastBurn page',
      'InferdAvailabilitySlowBurn ticket',
      'InferdLatencyFastBurn page',
      'InferdLatencySlowBurn ticket',
    ],
  );
  assert.equal(alerts[0].annotations.runbook_url, 'https://runbooks.example/inferd/InferdAvailabilityFastBurn.md');
  assert.match(
    records.find((r) => r.labels.slo === 'latency')!.expr,
    /inferd_request_duration_seconds_bucket\{model="digits",le="0.0025"\}/,
  );
  assert.match(alerts[0].expr, /ratio_rate1h\{model="digits",slo="availability"\} > \(14\.4 \* 0\.001\)/);
  assert.match(alerts[3].expr, /ratio_rate3d\{model="digits",slo="latency"\} > \(1 \* 0\.05\)/);
});

test('no models, no groups', () => {
  assert.deepEqual(buildSloRules([]), { groups: [] });
});

test("two models' rules never share a name and labels (promtool --lint-fatal counts those as duplicates)", () => {
  const { groups } = buildSloRules([
    { model: 'digits', slo },
    { model: 'fraud', slo },
  ]);
  const keys = groups.flatMap((g) =>
    g.rules.map((r) => `${'record' in r ? r.record : r.alert} ${JSON.stringify(r.labels)}`),
  );
  assert.equal(new Set(keys).size, keys.length);
  for (const g of groups) for (const r of g.rules) assert.equal(r.labels.model, g.name.slice('inferd-slo-'.length));
});
