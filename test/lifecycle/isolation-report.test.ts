/** The lifecycle isolation bench's section: one table row per environment and a verdict per target. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  renderLifecycleIsolation,
  type EnvironmentRow,
  type LifecycleIsolationResult,
} from '../../bench/lifecycle-isolation.js';

function row(over: Partial<EnvironmentRow>): EnvironmentRow {
  const latency = { count: 1000, p50Us: 600, p99Us: 5000, failures: 0 };
  return {
    environment: 'default',
    envText: '',
    quiet: latency,
    busy: { ...latency, p99Us: 9000 },
    p99Ratio: 1.8,
    cyclesS: 30,
    loadMsMedian: 500,
    unloadMsMedian: 20,
    controlFailures: [],
    rssBeforeKb: 200 * 1024,
    rssAfterKb: 240 * 1024,
    rssRatio: 1.2,
    heapBeforeKb: 40 * 1024,
    heapAfterKb: 50 * 1024,
    peakRssKb: 300 * 1024,
    rssAfterUnloadKb: Array.from({ length: 50 }, (_, i) => (210 + i) * 1024),
    ...over,
  };
}

const result = (rows: EnvironmentRow[]): LifecycleIsolationResult => ({
  cycles: 50,
  model: 'mlp_heavy',
  quietS: 8,
  concurrency: 2,
  ratePerS: 0,
  rssSamples: 5,
  rssSpanMs: 2000,
  settleMs: 1000,
  rows,
});

test('each environment gets a row and a verdict per target, met or not by its own figures', () => {
  const md = renderLifecycleIsolation(
    result([
      row({}),
      row({
        environment: 'glibc',
        envText: 'MALLOC_MMAP_THRESHOLD_=1048576 MALLOC_ARENA_MAX=2',
        p99Ratio: 2.4,
        rssAfterKb: 198 * 1024,
        rssRatio: 0.99,
      }),
    ]),
  );
  const lines = md.split('\n');
  assert.equal(lines.filter((l) => l.startsWith('| default environment |')).length, 1);
  assert.equal(lines.filter((l) => l.startsWith('| glibc settings')).length, 1);
  assert.ok(
    lines.includes('- ✅ met: default environment: digits p99 during the cycles ÷ quiet p99 = 1.80 (target ≤ 2)'),
    md,
  );
  assert.ok(
    lines.includes(
      '- ❌ not met: default environment: RSS after the last unload ÷ RSS before the first load = 1.200 (target ≤ 1.10)',
    ),
    md,
  );
  assert.ok(
    lines.some((l) => l.startsWith('- ❌ not met: glibc settings') && l.includes('quiet p99 = 2.40')),
    md,
  );
  assert.ok(
    lines.some((l) => l.startsWith('- ✅ met: glibc settings') && l.includes('RSS before the first load = 0.990')),
    md,
  );
  assert.match(md, /V8 heap.*before → after: default environment: 160 MiB → 190 MiB \(1\.188×\)/);
  assert.match(
    md,
    /RSS right after unload k \(one instant sample, no settling\): default environment: 1: 210 MiB, 5: 214 MiB, 10: 219 MiB, 25: 234 MiB, 50: 259 MiB/,
  );
});

test('a failed request or load call is a missed target, with the first reason shown', () => {
  const md = renderLifecycleIsolation(
    result([
      row({
        busy: { count: 900, p50Us: 700, p99Us: 9000, failures: 3, firstFailure: '503 {"error":"queue full"}' },
        controlFailures: ['cycle 7 load: 500 boom'],
      }),
    ]),
  );
  assert.match(
    md,
    /- ❌ not met: default environment: 3 failed digits requests, 1 failed load\/unload calls \(first: 503 \{"error":"queue full"\}\) \(first: cycle 7 load: 500 boom\)/,
  );
});
