/**
 * The canary's default checks catch a wrong model: real digits versions in the in-process core (registry,
 * inference service, traffic manager), a rollout with the default checks, driven request by request. Each
 * candidate is rolled back by the check that should catch it, and a copy of the stable version is promoted:
 *
 * - inverted (every label is 9 − the stable's): paired_disagreement. On the traffic used here, whose labels are
 *   symmetric around 4.5, its class mix is exactly the stable's, so prediction_divergence cannot see it.
 * - shifted (class 9's logit raised; 14 of the 24 rows of the traffic flip to 9): paired_disagreement.
 * - slower (the same answers, 100+ ms per row): p99_latency.
 * - the same model copied: promoted through every step.
 *
 * Nothing here waits on or asserts wall-clock time. The analysis clock is injected and advances 20 ms per
 * request (an interval of 20 s is 1,000 requests); the routing and sampling draws come from a seeded generator;
 * requests go one at a time, and the paired copies are awaited before the next, so which version answers what,
 * which requests are paired and when each check has its samples are the same on every run. An analysis runs
 * after every tenth request. Latency is measured for real only for the slower candidate (a fixed latency clock
 * elsewhere: latency noise on a busy machine is what once rolled back the inverted candidate, for the wrong reason).
 *
 * The inverted and shifted rollouts start at 0.5%: the checks that look at the candidate's own answers need 50 of
 * them, while the paired check's pairs come from both versions' requests (10% of each) whatever the step, so
 * it decides first. Why a wrong verdict is astronomically unlikely, whatever the seed (exact figures; the paired
 * ones by dynamic programming in src/routing/paired-disagreement.test.ts):
 * - inverted: every pair disagrees, so the check fails at the first analysis with its 30 pairs (min_samples).
 *   Another check could fail first only with 50 candidate answers within 3,000 requests,
 *   P(Binomial(3000, 0.005) ≥ 50) = 7.4e-13, or if 3,000 requests held fewer than 30 pairs,
 *   P(Binomial(3000, 0.1) < 30) = 8e-96.
 * - shifted: pairs disagree independently with p = 14/24 (rows are drawn at random, pairs sampled apart from
 *   the row); the test has failed it within 150 pairs but for 2.1e-19, and passes it with a chance below 1e-31;
 *   3,000 requests hold fewer than 150 pairs with P = 5.1e-24; 50 candidate answers by then: 7.4e-13 as above.
 * - copy: its answers equal the stable's, so paired_disagreement can never fail (that takes a disagreement) and
 *   passes after 82 pairs; latency is fixed; no request errs. prediction_divergence compares two random parts
 *   of the same traffic with 50 or more rows each: it passes with this seed, and would fail a copy by chance on
 *   about one seed in a hundred (a property of that check, which is why the seed is fixed).
 * - slower: identical answers again; p99_latency fails at the first analysis with 50 answers per version, as the
 *   candidate's p99 (about 100 ms on an idle core, several times that on a busy one) is above 1.5 × the stable's
 *   p99 + 5 ms unless the stable's second-slowest of ~200 answers takes over 60 ms while the candidate does not
 *   slow down alike.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { InferenceService } from '../../src/inference/inference-service.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { FileModelRepository } from '../../src/repository/model-repository.js';
import { countClasses, jensenShannon } from '../../src/routing/divergence.js';
import type { Rollout } from '../../src/routing/rollout.js';
import { TrafficManager } from '../../src/routing/traffic-manager.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { readJsonFixture, ROOT, startTestServer } from '../helpers/server.js';
import { call, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';

const CANDIDATES = {
  inverted: join(ROOT, 'test/fixtures/canary/digits_inverted.onnx'),
  shifted: join(ROOT, 'test/fixtures/canary/digits_shifted.onnx'),
  slower: join(ROOT, 'test/fixtures/canary/digits_slower.onnx'),
  copy: MODELS.digits,
} as const;

const SEED = 15;
/** Analysis clock per request: an interval of 20 s is 1,000 requests. */
const MS_PER_REQUEST = 20;
const INTERVAL_MS = 20_000;
/** Requests between analyses (the server analyses every tenth of an interval, here every 100 requests). */
const ANALYSE_EVERY = 10;
const reference = readJsonFixture<{ inputs: number[][] }>('test/fixtures/reference/digits.json');

/** A small seeded generator (mulberry32): the same draws on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Core {
  readonly service: InferenceService;
  readonly traffic: TrafficManager;
  /** Runs one request that names `version`, or none (routed), and returns the label. */
  label(row: readonly number[], version?: string): Promise<number>;
  /** Moves the analysis clock on. */
  advance(ms: number): void;
  stop(): Promise<void>;
}

/** digits v1 (stable, all traffic) and `candidate` as v2, in an in-process core with injected clock and draws. */
async function core(candidate: string, latency: 'measured' | 'fixed'): Promise<Core> {
  const repo = tempRepo({
    digits: {
      versions: { 1: MODELS.digits, 2: candidate },
      config: 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n',
    },
  });
  let now = Date.parse('2026-01-01T00:00:00Z');
  const logger = silentLogger();
  // The registry tells the traffic manager of versions loading; the manager reads versions from the registry.
  const registry: ModelRegistry = new ModelRegistry(new FileModelRepository(repo.dir), logger, {
    onEvent: (e) => manager.onLifecycle(e),
  });
  const manager = new TrafficManager({
    versions: registry,
    logger,
    clock: () => now,
    random: seeded(SEED),
    latencyClock: latency === 'fixed' ? () => 0 : undefined,
  });
  const service = new InferenceService(registry); // before loading: versions get their stages (the canary window)
  await registry.loadInitial();
  service.useTraffic(manager.director);
  return {
    service,
    traffic: manager,
    async label(row, version) {
      const res = await service.infer({
        model: 'digits',
        version,
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: Float32Array.from(row) }],
      });
      return Number(res.outputs.find((o) => o.name === 'label')!.data[0]);
    },
    advance: (ms) => (now += ms),
    async stop() {
      await registry.stop();
      repo.cleanup();
    },
  };
}

/** The requests the rollouts see: reference rows whose stable labels are symmetric around 4.5 (as many 0s as 9s, 1s as 8s...). */
async function symmetricTraffic(c: Core): Promise<number[][]> {
  const byLabel = new Map<number, number[][]>();
  for (const row of reference.inputs) {
    const label = await c.label(row, '1');
    byLabel.set(label, [...(byLabel.get(label) ?? []), row]);
  }
  const rows: number[][] = [];
  for (let k = 0; k < 5; k++) {
    const [low, high] = [byLabel.get(k) ?? [], byLabel.get(9 - k) ?? []];
    const n = Math.min(low.length, high.length);
    rows.push(...low.slice(0, n), ...high.slice(0, n));
  }
  return rows;
}

/** Each version's labels for the rows, asked by version (not routed, so not seen by the rollout). */
async function labelsOf(c: Core, rows: readonly number[][], version: string): Promise<number[]> {
  const out = [];
  for (const row of rows) out.push(await c.label(row, version));
  return out;
}

interface Run {
  readonly rollout: Rollout;
  readonly requests: number;
}

/**
 * Starts a rollout of version 2 with the default checks and sends requests one at a time (rows drawn from
 * `rows` by a seeded generator), each followed by the paired copies it caused and 20 ms of analysis clock, with an
 * analysis after every tenth request, until the rollout ends.
 */
async function rollOut(
  c: Core,
  rows: readonly number[][],
  steps: readonly number[],
  maxRequests: number,
): Promise<Run> {
  const rollout = c.traffic.startRollout('digits', { candidate: 2, stable: 1, steps, interval_ms: INTERVAL_MS });
  assert.ok(rollout.spec.checks.pairedDisagreement, 'the default checks include paired_disagreement');
  const pick = seeded(SEED + 1);
  for (let i = 1; i <= maxRequests; i++) {
    await c.label(rows[Math.floor(pick() * rows.length)]);
    await c.traffic.pairs.settled();
    c.advance(MS_PER_REQUEST);
    if (i % ANALYSE_EVERY !== 0) continue;
    c.traffic.canary.tick();
    if (rollout.status !== 'progressing') return { rollout, requests: i };
  }
  assert.fail(
    `rollout still ${rollout.status} at step ${rollout.stepIndex} after ${maxRequests} requests: ${rollout.lastDecision?.reason}`,
  );
}

function checkOf(r: Rollout, name: string) {
  const check = r.lastDecision?.checks.find((x) => x.check === name);
  assert.ok(check, `no ${name} in ${JSON.stringify(r.lastDecision)}`);
  return check;
}

/** Rolled back by the analysis, by `check` alone, the candidate at 0% and marked failed, the event naming it. */
function assertRolledBackBy(c: Core, r: Rollout, check: string): void {
  const facts = JSON.stringify(r.lastDecision);
  assert.equal(r.status, 'failed', facts);
  assert.equal(r.lastDecision?.by, 'analysis');
  assert.equal(r.lastDecision?.action, 'rollback');
  assert.deepEqual(r.lastDecision?.failed, [check], facts);
  assert.match(r.lastDecision!.reason, new RegExp(`^${check} failed: `));
  const view = c.traffic.traffic('digits');
  assert.deepEqual(
    [...view.weights!],
    [
      [1, 100],
      [2, 0],
    ],
  );
  assert.deepEqual(
    view.versions.map((v) => [v.version, v.failed]),
    [
      [1, false],
      [2, true],
    ],
  );
  const event = c.traffic.eventsOf('digits').at(-1)!;
  assert.equal(event.type, 'rollout_rolled_back');
  assert.match(event.message, new RegExp(`: ${check} failed: `));
}

describe('the default canary checks', () => {
  test('an inverted candidate, whose class mix equals the stable one, is rolled back by paired_disagreement', async () => {
    const c = await core(CANDIDATES.inverted, 'fixed');
    try {
      const rows = await symmetricTraffic(c);
      const [stable, candidate] = [await labelsOf(c, rows, '1'), await labelsOf(c, rows, '2')];
      assert.ok(
        candidate.every((l, i) => l === 9 - stable[i]),
        'every label inverted',
      );
      assert.equal(
        jensenShannon(countClasses(candidate), countClasses(stable)),
        0,
        'the same class mix: invisible to prediction_divergence',
      );

      const { rollout } = await rollOut(c, rows, [0.5, 20, 100], 3000);
      assertRolledBackBy(c, rollout, 'paired_disagreement');
      const paired = checkOf(rollout, 'paired_disagreement');
      assert.equal(paired.value, 1, 'every paired row disagreed');
      const n = paired.samples.candidate;
      assert.ok(
        n >= 30 && n < 30 + ANALYSE_EVERY,
        `failed at the first analysis with min_samples (30) pairs, had ${n}`,
      );
      assert.match(
        paired.detail,
        new RegExp(
          `^labels differ on 100\\.0% of ${n} paired rows \\(${n}\\); 99\\.9% bounds \\d+\\.\\d%–100\\.0%: above the tolerance 10\\.0%$`,
        ),
      );
      assert.equal(checkOf(rollout, 'prediction_divergence').status, 'insufficient');
    } finally {
      await c.stop();
    }
  });

  test('a shifted candidate (14 of 24 labels flip to 9) is rolled back by paired_disagreement', async () => {
    const c = await core(CANDIDATES.shifted, 'fixed');
    try {
      const rows = await symmetricTraffic(c);
      const [stable, candidate] = [await labelsOf(c, rows, '1'), await labelsOf(c, rows, '2')];
      const flipped = candidate.filter((l, i) => l !== stable[i]);
      assert.equal(flipped.length, 14);
      assert.ok(flipped.every((l) => l === 9));

      const { rollout } = await rollOut(c, rows, [0.5, 20, 100], 3000);
      assertRolledBackBy(c, rollout, 'paired_disagreement');
      const paired = checkOf(rollout, 'paired_disagreement');
      assert.ok(paired.value! > 0.3 && paired.samples.candidate <= 50, JSON.stringify(paired));
      assert.equal(checkOf(rollout, 'prediction_divergence').status, 'insufficient');
    } finally {
      await c.stop();
    }
  });

  test('a slower candidate with the same answers is rolled back by p99_latency', async () => {
    const c = await core(CANDIDATES.slower, 'measured');
    try {
      const rows = await symmetricTraffic(c);
      const { rollout } = await rollOut(c, rows, [20, 100], 3000);
      assertRolledBackBy(c, rollout, 'p99_latency');
      assert.notEqual(checkOf(rollout, 'paired_disagreement').status, 'fail');
      const n = checkOf(rollout, 'p99_latency').samples.candidate;
      assert.ok(n >= 50 && n < 50 + ANALYSE_EVERY, `at the first analysis with 50 answers, had ${n}`);
    } finally {
      await c.stop();
    }
  });

  test('the same model copied is promoted step by step', async () => {
    const c = await core(CANDIDATES.copy, 'fixed');
    try {
      const rows = await symmetricTraffic(c);
      const { rollout } = await rollOut(c, rows, [5, 50, 100], 10_000);
      assert.equal(rollout.status, 'succeeded', JSON.stringify(rollout.lastDecision));
      const decisions = c.traffic
        .eventsOf('digits')
        .map((e) => e.type)
        .filter((t) => t.startsWith('rollout_') && t !== 'rollout_held');
      assert.deepEqual(decisions, ['rollout_started', 'rollout_advanced', 'rollout_promoted']);
      assert.ok(
        rollout.lastDecision!.checks.every((x) => x.status === 'pass'),
        JSON.stringify(rollout.lastDecision!.checks),
      );
      const paired = checkOf(rollout, 'paired_disagreement');
      assert.equal(paired.value, 0);
      assert.ok(paired.samples.candidate >= 82, JSON.stringify(paired));
      assert.deepEqual(
        [...c.traffic.traffic('digits').weights!],
        [
          [1, 0],
          [2, 100],
        ],
      );
    } finally {
      await c.stop();
    }
  });
});

test('a rollout started over HTTP without checks lists paired_disagreement with its defaults', async () => {
  const repo = tempRepo({
    digits: {
      versions: { 1: MODELS.digits, 2: MODELS.digits },
      config: 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n',
    },
  });
  const server = await startTestServer({ repository: repo.dir });
  try {
    const started = await call<{ id: string; checks: Record<string, unknown> }>(
      `${server.url}/v1/models/digits/rollouts`,
      { body: { candidate: 2 } },
    );
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.deepEqual(Object.keys(started.body.checks), [
      'error_rate',
      'p99_latency',
      'prediction_divergence',
      'paired_disagreement',
    ]);
    assert.deepEqual(started.body.checks.paired_disagreement, {
      max_disagreement: 0.1,
      value_tolerance: 0.1,
      confidence: 0.999,
      sample_rate: 0.1,
      min_samples: 30,
    });
    const aborted = await call(`${server.url}/v1/models/digits/rollouts/${started.body.id}/abort`, { method: 'POST' });
    assert.equal(aborted.status, 200);
  } finally {
    await server.close();
    repo.cleanup();
  }
});
