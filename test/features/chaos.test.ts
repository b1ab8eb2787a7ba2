/**
 * Chaos: a Redis this test starts itself on a spare port (the machine's shared Redis is left alone) is hung
 * (SIGSTOP), resumed, killed (SIGKILL) and restarted while client loops keep sending requests. While Redis is
 * hung every request must still be answered, by the feature budget (budget_exceeded) and then the open breaker,
 * before Redis is resumed; fallbacks must show in responses and metrics; the breaker must open and then close
 * again after each outage.
 *
 * Each phase lasts until what it must show has happened (counted responses, breaker transitions), never for a
 * fixed time, so a slow machine makes the test slower, not red.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  entityRequest,
  FRAUD,
  inferFraud,
  ingestReference,
  metric,
  startFeatureServer,
  type FeatureServer,
} from './feature-server.js';
import { sparePort } from './spare-port.js';
import { OwnRedis, redisSkipReason } from '../helpers/own-redis.js';
import { Latch, waitFor } from '../helpers/wait-for.js';

const BUDGET_MS = 20;
const LOOPS = 4;
/** Fresh answers the recovered store must give before recovery is judged. */
const FRESH_AFTER_RESTART = LOOPS * 5;

const skip = redisSkipReason('the feature-store chaos test');

type Phase = 'healthy' | 'hung' | 'resumed' | 'dead' | 'restarting' | 'recovered';

interface Sample {
  /** The phase the request was sent in. */
  readonly phase: Phase;
  readonly status: number;
  readonly reasons: string[];
  readonly stale: boolean;
  /** An entity no store or cache has: it always falls back, and shows why. */
  readonly ghost: boolean;
}

let redis: OwnRedis;
let f: FeatureServer;
const ROWS = FRAUD.user_id.map((_, i) => i);
/** Unique per process: two runs of the suite never read each other's rows. */
const KEY_PREFIX = `chaos-${process.pid}:`;

before(async () => {
  if (skip) return;
  redis = new OwnRedis(await sparePort());
  await redis.start();
  const store = {
    type: 'redis',
    url: redis.url,
    key_prefix: KEY_PREFIX,
    breaker: { failure_threshold: 3, open_ms: 250 },
  };
  f = await startFeatureServer({ store, budgetMs: BUDGET_MS, views: { cacheTtlMs: 50 } });
  await ingestReference(f.server, ROWS, new Date(Date.now() - 5000));
});

after(async () => {
  await f?.close();
  await redis?.kill();
});

/** The client loops' shared state: the phase new requests are sent in, a pause switch, and requests in flight. */
class Traffic {
  phase: Phase = 'healthy';
  /** Set while paused: the loops wait for its release before sending again. */
  paused: Latch | undefined;
  done = false;
  inFlight = 0;
  readonly samples: Sample[] = [];
}

/**
 * One client's requests until told to stop. A quarter of a loop's requests ask for users no store has; the
 * first loop asks only for those, so whenever Redis hangs there is a read in flight that no cache
 * entry can cover, and it must end as budget_exceeded before the breaker opens.
 */
async function clientLoop(traffic: Traffic, loop: number): Promise<void> {
  const allGhosts = loop === 0;
  for (let i = 0; !traffic.done; i++) {
    if (traffic.paused) {
      await traffic.paused.promise;
      continue;
    }
    const row = ROWS[i % ROWS.length];
    const ghost = allGhosts || i % 4 === 3;
    // Each unknown user is asked for once only (loop and request in its name): never cached, not even as missing.
    const users = ghost ? FRAUD.user_id.map((u) => `ghost-${loop}-${i}-${u}`) : FRAUD.user_id;
    const phase = traffic.phase;
    traffic.inFlight++;
    try {
      const r = await inferFraud(f.server, entityRequest([row], users));
      const reasons = Object.values((r.parameters.feature_fallback_reasons ?? {}) as Record<string, string[]>).flat();
      traffic.samples.push({
        phase,
        status: r.status,
        reasons,
        stale: r.parameters.feature_served_stale !== undefined,
        ghost,
      });
    } finally {
      traffic.inFlight--;
    }
    await sleep(2);
  }
}

/** Re-ingests until the restarted Redis takes writes (the client reconnects with backoff). */
async function reingest(signal: AbortSignal): Promise<void> {
  for (;;) {
    try {
      return await ingestReference(f.server, ROWS, new Date(Date.now() - 1000));
    } catch (err) {
      if (signal.aborted)
        throw new Error(`the restarted Redis never took writes: ${(err as Error).message}`, { cause: err });
      await sleep(100);
    }
  }
}

const fresh = (s: Sample) => !s.ghost && s.reasons.length === 0 && !s.stale;
const transitions = (to: string) =>
  metric(f.server, 'inferd_feature_breaker_transitions_total', { store: 'under_test', to });

it(
  'a Redis hung, then killed and restarted under load: every request answered within the budget while hung, flagged fallbacks, breaker opens then closes',
  { skip, timeout: 180_000 },
  async (t) => {
    const traffic = new Traffic();
    const samples = traffic.samples;
    const inPhase = (p: Phase) => samples.filter((s) => s.phase === p);
    const until = (condition: () => boolean | Promise<boolean>, what: string) => waitFor(condition, what, t.signal);
    const loops = Array.from({ length: LOOPS }, (_, n) => clientLoop(traffic, n));

    await until(() => inPhase('healthy').filter(fresh).length >= LOOPS, 'fresh features from the healthy store');

    traffic.phase = 'hung';
    redis.signal('SIGSTOP');
    await until(
      () => inPhase('hung').some((s) => s.ghost && s.reasons.includes('budget_exceeded')),
      'a read of the hung Redis to end as budget_exceeded',
    );
    await until(
      () => inPhase('hung').some((s) => s.reasons.includes('breaker_open')),
      'the breaker to open on the hung Redis',
    );
    // Every request sent while Redis hangs must be answered while it still hangs: none waits on the store.
    const pause = new Latch();
    traffic.paused = pause;
    await until(
      () => traffic.inFlight === 0,
      'every request sent while Redis was hung to be answered (Redis is still hung)',
    );
    const answeredWhileHung = inPhase('hung').length;
    // Counted from here: a loaded machine may also have tripped the breaker before (a read over budget for want of CPU).
    let closedBefore = await transitions('closed');
    traffic.phase = 'resumed';
    traffic.paused = undefined;
    pause.release();
    redis.signal('SIGCONT');
    await until(async () => (await transitions('closed')) > closedBefore, 'the breaker to close after Redis resumed');
    await until(() => inPhase('resumed').some(fresh), 'fresh features after Redis resumed');

    await redis.kill();
    traffic.phase = 'dead';
    await until(
      () => inPhase('dead').some((s) => s.ghost && s.reasons.includes('breaker_open')),
      'the breaker to skip the dead Redis',
    );
    closedBefore = await transitions('closed');

    traffic.phase = 'restarting';
    await redis.start();
    await reingest(t.signal);
    traffic.phase = 'recovered';
    // The store client reconnects with back-off and the breaker probes again after its open time.
    await until(async () => (await transitions('closed')) > closedBefore, 'the breaker to close after the restart');
    await until(
      () => inPhase('recovered').filter(fresh).length >= FRESH_AFTER_RESTART,
      `${FRESH_AFTER_RESTART} fresh answers after the restart`,
    );
    await until(
      () =>
        inPhase('recovered').some((s) => s.ghost && s.reasons.length > 0 && s.reasons.every((r) => r === 'missing')),
      'an unknown user to show as missing',
    );
    traffic.done = true;
    await Promise.all(loops);

    t.diagnostic(
      `chaos: ${samples.length} requests; ${answeredWhileHung} answered while Redis was hung; ` +
        (['healthy', 'hung', 'resumed', 'dead', 'restarting', 'recovered'] as const)
          .map((p) => `${p} ${inPhase(p).length}`)
          .join(', '),
    );
    assert.ok(
      samples.every((s) => s.status === 200),
      'every request answered (fallback: default)',
    );
    // An unknown user's read can only fail while the store is out (nothing was stored for it, nothing cached), and
    // the answer says why: never 'missing', which would mean the store had answered.
    const outage = ['budget_exceeded', 'breaker_open', 'store_error'];
    for (const p of ['hung', 'dead'] as const) {
      const ghosts = inPhase(p).filter((s) => s.ghost);
      assert.ok(
        ghosts.length > 0 && ghosts.every((s) => s.reasons.some((r) => outage.includes(r))),
        `unknown users are flagged with an outage reason while Redis is ${p}: ${JSON.stringify(ghosts.map((s) => s.reasons))}`,
      );
    }

    const m = (name: string, labels: Record<string, string>) => metric(f.server, name, labels);
    assert.ok((await m('inferd_feature_fallbacks_total', { reason: 'budget_exceeded' })) > 0);
    assert.ok((await m('inferd_feature_fallbacks_total', { reason: 'breaker_open' })) > 0);
    assert.ok((await transitions('open')) >= 2, 'opened in both outages');
    assert.ok((await transitions('closed')) >= 2, 'closed after both');
  },
);
