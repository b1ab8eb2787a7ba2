/**
 * Chaos: a Redis this test starts itself on a spare port (the machine's shared Redis is left alone) is hung
 * (SIGSTOP), resumed, killed (SIGKILL) and restarted while client loops keep sending requests. No request may
 * wait beyond the feature budget plus scheduling slack; fallbacks must show in responses and metrics; the
 * breaker must open and then close again.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { entityRequest, FRAUD, inferFraud, ingestReference, metric, startFeatureServer, type FeatureServer } from './feature-server.js';
import { sparePort } from './spare-port.js';
import { OwnRedis, redisSkipReason } from '../helpers/own-redis.js';

const BUDGET_MS = 20;
/**
 * Loopback HTTP, JSON, the event loop shared by server and clients on a 2-core machine. Time the process was
 * not scheduled at all (other work on the machine) shows as event-loop delay and is added to the slack: it is
 * not time spent waiting for the store.
 */
const SLACK_MS = 50;
const LOOPS = 4;

const skip = redisSkipReason('the feature-store chaos test');

interface Sample {
  readonly phase: string;
  readonly ms: number;
  readonly status: number;
  readonly reasons: string[];
  readonly stale: boolean;
  /** An entity no store or cache has: it always falls back, and shows why. */
  readonly ghost: boolean;
}

let redis: OwnRedis;
let f: FeatureServer;
const ROWS = FRAUD.user_id.map((_, i) => i);

before(async () => {
  if (skip) return;
  redis = new OwnRedis(await sparePort());
  await redis.start();
  const store = { type: 'redis', url: `redis://127.0.0.1:${redis.port}`, key_prefix: 'chaos:', breaker: { failure_threshold: 3, open_ms: 250 } };
  f = await startFeatureServer({ store, budgetMs: BUDGET_MS, views: { cacheTtlMs: 50 } });
  await ingestReference(f.server, ROWS, new Date(Date.now() - 5000));
});

after(async () => {
  await f?.close();
  await redis?.kill();
});

/**
 * One client's requests until told to stop. A quarter of a loop's requests ask for users no store has; the
 * loop with `allGhosts` asks only for those, so whenever Redis hangs there is a read in flight that no cache
 * entry can cover, and it must end as budget_exceeded before the breaker opens.
 */
async function clientLoop(phase: () => string, until: () => boolean, samples: Sample[], allGhosts: boolean): Promise<void> {
  for (let i = 0; !until(); i++) {
    const row = ROWS[i % ROWS.length];
    const ghost = allGhosts || i % 4 === 3;
    const users = ghost ? FRAUD.user_id.map((u) => `ghost-${i}-${u}`) : FRAUD.user_id;
    const started = performance.now();
    const r = await inferFraud(f.server, entityRequest([row], users));
    const reasons = Object.values((r.parameters.feature_fallback_reasons ?? {}) as Record<string, string[]>).flat();
    samples.push({ phase: phase(), ms: performance.now() - started, status: r.status, reasons, stale: r.parameters.feature_served_stale !== undefined, ghost });
    await sleep(2);
  }
}

/** Re-ingests until the restarted Redis takes writes (the client reconnects with backoff). */
async function reingest(): Promise<void> {
  for (let i = 0; i < 60; i++) {
    try {
      return await ingestReference(f.server, ROWS, new Date(Date.now() - 1000));
    } catch {
      await sleep(100);
    }
  }
  throw new Error('the restarted Redis never took writes');
}

it('a Redis hung, then killed and restarted under load: bounded latency, flagged fallbacks, breaker opens then closes', { skip, timeout: 60_000 }, async () => {
  const samples: Sample[] = [];
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  let phase = 'healthy';
  let done = false;
  const loops = Array.from({ length: LOOPS }, (_, n) => clientLoop(() => phase, () => done, samples, n === 0));
  await sleep(800);
  phase = 'hung';
  redis.signal('SIGSTOP');
  await sleep(1500);
  phase = 'resumed';
  redis.signal('SIGCONT');
  await sleep(1200);
  phase = 'dead';
  await redis.kill();
  await sleep(1500);
  phase = 'restarting';
  await redis.start();
  await reingest();
  phase = 'recovered';
  // The store client reconnects with back-off and the breaker probes again after its open time: allow up to 10 s
  // for fresh features to come back, then keep serving 1.5 s more to show they stay.
  const recovering = Date.now();
  const fresh = (s: Sample) => s.phase === 'recovered' && !s.ghost && s.reasons.length === 0 && !s.stale;
  while (Date.now() - recovering < 10_000 && !samples.some(fresh)) await sleep(50);
  const cut = samples.length;
  await sleep(1500);
  done = true;
  await Promise.all(loops);
  lag.disable();
  const slack = SLACK_MS + lag.max / 1e6;

  const worst = samples.reduce((a, b) => (b.ms > a.ms ? b : a));
  const byPhase = (p: string) => samples.filter((s) => s.phase === p);
  process.stderr.write(`chaos: ${samples.length} requests; slowest ${worst.ms.toFixed(1)} ms (${worst.phase}); event-loop delay max ${(lag.max / 1e6).toFixed(1)} ms; ` +
    ['healthy', 'hung', 'resumed', 'dead', 'restarting', 'recovered'].map((p) => `${p} ${byPhase(p).length}`).join(', ') + '\n');
  assert.ok(samples.every((s) => s.status === 200), 'every request answered (fallback: default)');
  assert.ok(worst.ms <= BUDGET_MS + slack, `slowest request took ${worst.ms.toFixed(1)} ms in phase ${worst.phase}; budget ${BUDGET_MS} ms + slack ${slack.toFixed(1)} ms`);
  for (const p of ['hung', 'dead']) {
    assert.ok(byPhase(p).some((s) => s.reasons.length > 0 || s.stale), `responses flag fallbacks while Redis is ${p}`);
  }
  assert.ok(byPhase('hung').some((s) => s.reasons.includes('budget_exceeded')), 'a hung Redis shows as budget_exceeded');
  assert.ok(byPhase('dead').some((s) => s.reasons.includes('breaker_open')), 'a dead Redis is skipped by the open breaker');
  // Recovered: the reads succeed again. On a loaded 2-core machine a read may still now and then miss the 20 ms
  // budget for want of CPU (the event loop itself stalls at times); that, and only that, is allowed
  // for a few of them.
  const tail = samples.slice(cut).filter((s) => s.phase === 'recovered' && !s.ghost).slice(-LOOPS * 5);
  const notFresh = tail.filter((s) => s.reasons.length > 0 || s.stale);
  assert.ok(
    tail.length > 0 && notFresh.length <= tail.length / 5 && notFresh.every((s) => s.reasons.every((r) => r === 'budget_exceeded')),
    `after the restart, requests get fresh features again (${notFresh.length} of the last ${tail.length} were not: ${JSON.stringify(notFresh.map((s) => s.reasons))})`,
  );
  assert.ok(byPhase('recovered').filter((s) => s.ghost).slice(-LOOPS).every((s) => s.reasons.join() === 'missing'), 'unknown users are missing, not failures');

  const m = (name: string, labels: Record<string, string>) => metric(f.server, name, labels);
  assert.ok(await m('inferd_feature_fallbacks_total', { reason: 'budget_exceeded' }) > 0);
  assert.ok(await m('inferd_feature_fallbacks_total', { reason: 'breaker_open' }) > 0);
  assert.ok(await m('inferd_feature_breaker_transitions_total', { store: 'under_test', to: 'open' }) >= 2, 'opened in both outages');
  assert.ok(await m('inferd_feature_breaker_transitions_total', { store: 'under_test', to: 'closed' }) >= 2, 'closed after both');
  assert.equal(await m('inferd_feature_breaker_state', { store: 'under_test' }), 0, 'closed at the end');
});
