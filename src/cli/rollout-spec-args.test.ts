import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDurationMs, rolloutBody } from './rollout-spec-args.js';

test('durations: ms, s, m and h; a bare number is refused, naming the units', () => {
  assert.deepEqual(
    ['1500ms', '90s', '1.5s', '5m', '1h'].map((d) => parseDurationMs(d, '--interval')),
    [1500, 90_000, 1500, 300_000, 3_600_000],
  );
  assert.throws(
    () => parseDurationMs('soon', '--interval'),
    /--interval must be a duration such as 90s, 5m or 1500ms, got 'soon'/,
  );
  assert.throws(
    () => parseDurationMs('5', '--interval'),
    /--interval needs a unit: 5s, 5m or 5ms \(units: ms, s, m, h, d\), got '5'/,
  );
  assert.throws(() => parseDurationMs('0s', '--interval'), /--interval must be a duration/);
});

test('flags lay over the spec file; --min-samples applies to the checks named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-spec-'));
  try {
    const spec = join(dir, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({
        candidate: 2,
        steps: [5, 100],
        checks: { error_rate: { max_increase: 0.02 }, p99_latency: { max_ratio: 3 } },
      }),
    );
    assert.deepEqual(rolloutBody({ spec, steps: '10,50,100', interval: '2m', 'min-samples': '40' }), {
      candidate: 2,
      steps: [10, 50, 100],
      interval_ms: 120_000,
      checks: { error_rate: { max_increase: 0.02, min_samples: 40 }, p99_latency: { max_ratio: 3, min_samples: 40 } },
    });
    assert.deepEqual(rolloutBody({ candidate: '3', checks: 'error_rate', 'shadow-sample-rate': '0.2' }), {
      candidate: 3,
      shadow: { sample_rate: 0.2 },
      checks: { error_rate: {} },
    });
    assert.deepEqual(rolloutBody({ candidate: '3', 'min-samples': '7', 'shadow-sample-rate': '0.5' }).checks, {
      error_rate: { min_samples: 7 },
      p99_latency: { min_samples: 7 },
      prediction_divergence: { min_samples: 7 },
      paired_disagreement: { min_samples: 7 },
      shadow_agreement: { min_samples: 7 },
    });
    assert.throws(() => rolloutBody({ steps: '5,100' }), /needs the candidate version: --candidate N/);
    assert.throws(
      () => rolloutBody({ candidate: '2', checks: 'error_rate,vibes' }),
      /unknown check 'vibes' in --checks; choose from error_rate, p99_latency, prediction_divergence, paired_disagreement, shadow_agreement/,
    );
    assert.throws(() => rolloutBody({ candidate: 'two' }), /--candidate must be a number, got 'two'/);
    writeFileSync(spec, '[1, 2]');
    assert.throws(() => rolloutBody({ spec }), /--spec .* must hold a JSON object/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
