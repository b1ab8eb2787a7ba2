import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sumExpositions } from './sum-expositions.js';

const one = `# HELP inferd_requests_total Requests
# TYPE inferd_requests_total counter
inferd_requests_total{model="digits",outcome="success"} 3
inferd_requests_total{model="a b{c}",outcome="error"} 1

# HELP inferd_latency_seconds Latency
# TYPE inferd_latency_seconds histogram
inferd_latency_seconds_bucket{le="0.1",model="digits"} 2
inferd_latency_seconds_bucket{le="+Inf",model="digits"} 3
inferd_latency_seconds_sum{model="digits"} 0.25
inferd_latency_seconds_count{model="digits"} 3

# HELP inferd_inflight In flight
# TYPE inferd_inflight gauge
inferd_inflight{model="digits"} 2

# HELP inferd_model_breaker_state Breaker
# TYPE inferd_model_breaker_state gauge
inferd_model_breaker_state{model="digits"} 1
`;

const two = `# HELP inferd_requests_total Requests
# TYPE inferd_requests_total counter
inferd_requests_total{model="digits",outcome="success"} 4
inferd_requests_total{model="fraud",outcome="success"} 5

# HELP inferd_latency_seconds Latency
# TYPE inferd_latency_seconds histogram
inferd_latency_seconds_bucket{le="0.1",model="digits"} 1
inferd_latency_seconds_bucket{le="+Inf",model="digits"} 4
inferd_latency_seconds_sum{model="digits"} 0.5
inferd_latency_seconds_count{model="digits"} 4

# HELP inferd_inflight In flight
# TYPE inferd_inflight gauge
inferd_inflight{model="digits"} 3

# HELP inferd_model_breaker_state Breaker
# TYPE inferd_model_breaker_state gauge
inferd_model_breaker_state{model="digits"} 0
`;

test('counters and histograms add up exactly, series present in one process only are kept', () => {
  const sum = sumExpositions([one, two]);
  assert.match(sum, /^inferd_requests_total\{model="digits",outcome="success"\} 7$/m);
  assert.match(sum, /^inferd_requests_total\{model="a b\{c\}",outcome="error"\} 1$/m);
  assert.match(sum, /^inferd_requests_total\{model="fraud",outcome="success"\} 5$/m);
  assert.match(sum, /^inferd_latency_seconds_bucket\{le="\+Inf",model="digits"\} 7$/m);
  assert.match(sum, /^inferd_latency_seconds_sum\{model="digits"\} 0.75$/m);
  assert.match(sum, /^inferd_latency_seconds_count\{model="digits"\} 7$/m);
  assert.equal(sum.match(/# TYPE inferd_requests_total counter/g)?.length, 1);
});

test('additive gauges are summed, state gauges take the largest value', () => {
  const sum = sumExpositions([one, two]);
  assert.match(sum, /^inferd_inflight\{model="digits"\} 5$/m);
  assert.match(sum, /^inferd_model_breaker_state\{model="digits"\} 1$/m);
});

test('one exposition comes back with the same series and values', () => {
  const again = sumExpositions([one]);
  for (const line of one.split('\n').filter((l) => l && !l.startsWith('#'))) assert.ok(again.includes(line), line);
});
