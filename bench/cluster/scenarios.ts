/**
 * `npm run cluster:scenarios [-- --quick] [-- --no-append]`: issue 18's "Must show" on the local cluster
 * (cluster.ts): capacity through haproxy, then load at half of it while one replica is SIGKILLed and while all
 * three restart in turn, the global rate limit through Redis, the canary scenarios on the shared state (same split
 * everywhere, a faulty candidate rolled back once, the leader killed mid-rollout, PostgreSQL away for 20 s under a
 * cluster of its own), and cold start against the naive
 * peer. Prints figures and a pass/fail per item, and appends the section to BENCHMARKS.md.
 * `--only kill,rolling,...` runs a subset.
 *
 * Full run: 60 s of load per scenario and a 60 s rate-limit window (~5 min); --quick: 10 s each (CI).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gitCommit, loadAverage, machineInfo } from '../machine.js';
import { appendToBenchmarks } from '../report.js';
import { median } from '../stats.js';
import { Cluster, SHUTDOWN_DELAY_MS } from './cluster.js';
import { haproxyMissing } from './haproxy.js';
import {
  CHECK_TEXT,
  coldStart,
  globalRateLimit,
  killOneReplica,
  measureCapacity,
  RATE_LIMIT_BURST,
  RATE_LIMIT_PER_MIN,
  RATE_LIMIT_CONFIG,
  RATE_LIMITED_MODEL,
  rollingRestart,
  type Capacity,
  type ColdStartResult,
  type KillResult,
  type RateLimitResult,
  type RollingResult,
} from './scenario-steps.js';
import {
  faultyRolledBackOnce,
  leaderKilledMidRollout,
  sameSplit,
  type LeaderKillResult,
  type RollbackResult,
  type SplitResult,
} from './canary-steps.js';
import { postgresOutage, postgresServerSkipReason, type OutageResult } from './outage-steps.js';

const log = (msg: string): void => void process.stderr.write(`cluster-scenarios: ${msg}\n`);

interface Plan {
  readonly mode: 'full' | 'quick';
  readonly capacityS: number;
  readonly scenarioS: number;
  readonly rateWindowS: number;
  /** Requests per replica counted for the canary split. */
  readonly splitRequests: number;
  readonly coldRuns: number;
}
const FULL: Plan = { mode: 'full', capacityS: 5, scenarioS: 60, rateWindowS: 60, splitRequests: 10_000, coldRuns: 7 };
const QUICK: Plan = { mode: 'quick', capacityS: 3, scenarioS: 10, rateWindowS: 10, splitRequests: 3000, coldRuns: 3 };

/** Items not measured yet, reported as not run. */
const NOT_RUN: string[] = [];

const SCENARIOS = ['kill', 'rolling', 'ratelimit', 'split', 'rollback', 'leader', 'outage', 'coldstart'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Results {
  capacity: Capacity;
  rate: number;
  sharedState: string;
  kill?: KillResult;
  rolling?: RollingResult;
  rateLimit?: RateLimitResult;
  split?: SplitResult;
  rollback?: RollbackResult;
  leader?: LeaderKillResult;
  outage?: OutageResult;
  cold?: ColdStartResult;
}

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const mark = (ok: boolean) => (ok ? '✅ pass' : '❌ FAIL');
const kinds = (k: Record<string, number>) =>
  Object.keys(k).length
    ? Object.entries(k)
        .map(([s, n]) => `${s} ×${n}`)
        .join(', ')
    : 'none';
const firstFailure = (t: { firstFailure?: string | undefined }) =>
  t.firstFailure ? `; first: ${t.firstFailure.replace(/[|\n]/g, ' ').slice(0, 120)}` : '';

function rows(r: Results): string[] {
  const out: string[] = [];
  const k = r.kill;
  if (k)
    out.push(
      `| SIGKILL one replica (${k.victim}) under load, ${f0(k.durationS)} s | sent ${k.all.total} at ${f0(k.sentRate)} req/s; failed ${k.all.non2xx + k.all.noAnswer} (${(100 * k.failedShare).toFixed(3)} %: ${kinds(k.all.kinds)}${firstFailure(k.all)}); sent after DOWN ${k.afterDown.total}, failed ${k.afterDown.non2xx + k.afterDown.noAnswer}; marked DOWN ${f0(k.msToDown)} ms after the kill (after ${k.chkfailAtDown} failed checks; ${k.chkdown} UP→DOWN); haproxy retries ${k.retries}, redispatches ${k.redispatches} | ≤ 0.1 % failed, none after DOWN, DOWN ≤ 3 s | ${mark(k.pass)} |`,
    );
  const ro = r.rolling;
  if (ro)
    out.push(
      `| Rolling SIGTERM restart of all 3 under load, ${f0(ro.durationS)} s | sent ${ro.all.total} at ${f0(ro.sentRate)} req/s; non-2xx ${ro.all.non2xx}, unanswered ${ro.all.noAnswer} (${kinds(ro.all.kinds)}${firstFailure(ro.all)}); ${ro.restarts.map((x) => `${x.name} drained in ${f0(x.drainMs)} ms, UP ${f0(x.upMs)} ms after restart`).join('; ')} | 0 non-2xx | ${mark(ro.pass)} |`,
    );
  const rl = r.rateLimit;
  if (rl)
    out.push(
      `| Global rate limit ${RATE_LIMIT_PER_MIN}/min on ${RATE_LIMITED_MODEL} across 3 replicas (Redis), offered ${f1(rl.offeredRate)} req/s for ${f1(rl.windowS)} s | admitted ${rl.admitted}, expected ${f1(rl.expected)} (burst ${RATE_LIMIT_BURST} + ${f1(RATE_LIMIT_PER_MIN / 60)}/s × window), deviation ${(100 * rl.deviation).toFixed(2)} %; 429 ×${rl.refused429}, other ${rl.other} | ± 2 % | ${mark(rl.pass)} |`,
    );
  const sp = r.split;
  if (sp)
    out.push(
      `| Canary started through r1 at ${sp.weight} %: every replica serves the split | serving the new weights after ${sp.replicas.map((x) => `${x.name} ${f0(x.propagationMs)} ms`).join(', ')}; candidate share over ${sp.perReplica} requests per replica: ${sp.replicas.map((x) => `${x.name} ${(100 * x.share).toFixed(1)} %`).join(', ')} (largest distance ${sp.maxDeviationPts.toFixed(1)} points) | ≤ 2 s, ± 3 points | ${mark(sp.pass)} |`,
    );
  const rb = r.rollback;
  if (rb)
    out.push(
      `| Faulty candidate at 50 % through r2, failing rows sent through haproxy | rolled back on all 3 after ${f0(rb.msToRolledBackEverywhere)} ms; verdicts ${rb.verdicts} (rollback ${rb.rollbackVerdicts}) written by ${rb.verdictReplicas.join(', ') || 'none'} (leader before: ${rb.leaderName ?? '?'}); rollback events: shared log ${rb.sharedRollbackEvents}, per replica ${rb.perReplicaRollbackEvents.join('/')}; requests ${rb.requests.total} (${kinds(rb.requests.kinds)}) | rolled back once, one verdict, one event | ${mark(rb.pass)} |`,
    );
  const le = r.leader;
  if (le)
    out.push(
      `| Leader (${le.oldLeader}) SIGKILLed mid-rollout (steps 10/50/100) | ${le.newLeader ?? '?'} leads ${f0(le.msToNewLeader)} ms after the kill; next verdict ${f0(le.msToNextVerdict)} ms after; verdicts ${le.verdictsBefore} before, ${le.verdictsAfter} in all, duplicates ${le.duplicateVerdicts}; rollout ${le.finalStatus}; requests ${le.requests.total}, failed ${le.requests.non2xx + le.requests.noAnswer} | continues ≤ 10 s, no duplicate verdict | ${mark(le.pass)} |`,
    );
  const po = r.outage;
  if (po)
    out.push(
      `| PostgreSQL (own instance) stopped for ${po.outageS} s under load at ${f0(r.rate)} req/s, 3 replicas of their own | requests ${po.requests.total}, failed ${po.requests.non2xx + po.requests.noAnswer} (before ${po.beforeOutage.non2xx + po.beforeOutage.noAnswer} of ${po.beforeOutage.total}, while down ${po.duringOutage.non2xx + po.duringOutage.noAnswer} of ${po.duringOutage.total}, after ${po.afterOutage.non2xx + po.afterOutage.noAnswer} of ${po.afterOutage.total}: ${kinds(po.requests.kinds)}${firstFailure(po.requests)}); readiness ${po.readinessStatusWhileDown.join('/')} naming the stale state ${f0(po.msToDegraded)} ms after the stop ("${po.degradedReason.replace(/[|\n]/g, ' ').slice(0, 140)}"); weights changed through r2 while down: ${po.changeStatus}, r2 served ${po.changedReplicaServes ?? '?'} %, r1/r3 ${po.othersServeWhileDown.join('/')} % (last known); all 3 served the change and readiness was clean ${f0(po.msToCaughtUp)} ms after PostgreSQL returned; haproxy took ${po.haproxyDowns} replicas out meanwhile; the store holds ${po.storedWeight2 ?? '?'} % | serving continues, readiness says why, nothing acknowledged lost | ${mark(po.pass)} |`,
    );
  const c = r.cold;
  if (c)
    out.push(
      `| Cold start, digits alone: process start → \`/v2/health/ready\` 200, ${c.runs} alternating runs | inferd median ${f0(c.inferdMedianMs)} ms (${c.inferdMs.map(f0).join(', ')}); naive peer median ${f0(c.naiveMedianMs)} ms (${c.naiveMs.map(f0).join(', ')}); ratio **${c.ratio.toFixed(2)}×**; where inferd's time goes (medians): \`node -e ''\` alone ${f0(median(c.nodeFloorMs))} ms, Node start + module imports ≈ ${f0(c.inferdMedianMs - c.inferdStartupMs)} ms, main() → listening ${f0(c.inferdStartupMs)} ms (digits load ${f0(c.digitsLoadMs)} ms, warm-up ${f0(c.digitsWarmupMs)} ms) | ≤ 1.5× naive | ${mark(c.pass)} |`,
    );
  return out;
}

function render(r: Results, plan: Plan, started: string, loadStart: string, elapsedS: number, only: string): string {
  const m = machineInfo();
  const lines = [
    `## Local cluster: 3 replicas behind haproxy — ${started} · ${gitCommit()} · \`npm run cluster:scenarios${plan.mode === 'quick' ? ' -- --quick' : ''}${only}\``,
    '',
    `${m.cpuModel}, ${m.cores} cores, Node ${m.node}; ${r.sharedState === 'postgres' ? 'rollouts, policies and canary evidence shared in PostgreSQL (`state.store: postgres`)' : `shared state: ${r.sharedState}`}; rate limits in Redis. ` +
      `haproxy checks \`/v2/health/ready\` (${CHECK_TEXT}); replicas drain with \`shutdown_delay_ms: ${SHUTDOWN_DELAY_MS}\`. ` +
      `Capacity: closed-loop wrk through haproxy, ${r.capacity.connections} connections, ${r.capacity.durationS} s: ` +
      `**${f0(r.capacity.rps)} req/s** (p50 ${r.capacity.p50Ms.toFixed(2)} ms, p99 ${r.capacity.p99Ms.toFixed(2)} ms). ` +
      `Scenario load: open loop (a Node client in a thread of its own sending at a fixed rate whatever the answers) at half of that, ` +
      `${f0(r.rate)} req/s, digits one row per request. Load average ${loadStart} → ${loadAverage()} (the machine is shared); ${f0(elapsedS)} s in all.`,
    '',
    '| scenario | figures | target | result |',
    '|---|---|---|:---:|',
    ...rows(r),
    ...NOT_RUN.map((s) => `| ${s} | not run yet | | — |`),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'no-append': { type: 'boolean', default: false },
      /** Comma-separated subset of SCENARIOS. */
      only: { type: 'string' },
    },
  });
  const plan = values.quick ? QUICK : FULL;
  const only = (values.only?.split(',') ?? [...SCENARIOS]) as Scenario[];
  for (const x of only)
    if (!SCENARIOS.includes(x)) throw new Error(`--only ${x}: not a scenario; choose from ${SCENARIOS.join(', ')}`);
  const wants = (x: Scenario) => only.includes(x);
  const missing = haproxyMissing();
  if (missing) throw new Error(missing);
  const t0 = performance.now();
  const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const loadStart = loadAverage();
  const tmp = mkdtempSync(join(tmpdir(), 'inferd-cluster-scenarios-'));
  let cluster: Cluster | undefined;
  process.on('exit', () => cluster?.killNow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  setTimeout(() => {
    log('watchdog: the run passed 25 min; stopping');
    process.exit(1);
  }, 25 * 60_000).unref();
  try {
    cluster = await Cluster.start({ extraConfig: RATE_LIMIT_CONFIG, log });
    const shared = cluster.sharedState === 'postgres';
    if (!shared) log(`NOTE: shared state ${cluster.sharedState}`);
    log(`warming up, then capacity (${plan.capacityS} s closed loop)…`);
    await measureCapacity(cluster, 2, tmp);
    const capacity = await measureCapacity(cluster, plan.capacityS, tmp);
    const rate = Math.round(capacity.rps / 2);
    log(`capacity ${f0(capacity.rps)} req/s; scenario load ${rate} req/s open loop`);
    const r: Results = { capacity, rate, sharedState: cluster.sharedState };
    const done = (name: string, pass: boolean) => log(`${name}: ${pass ? 'pass' : 'FAIL'}`);

    if (wants('kill')) {
      log(`SIGKILL one replica under load (${plan.scenarioS} s)…`);
      r.kill = await killOneReplica(cluster, { rate, durationS: plan.scenarioS, log });
      done('kill', r.kill.pass);
    }
    if (wants('rolling')) {
      log(`rolling SIGTERM restart under load (≥ ${plan.scenarioS} s)…`);
      r.rolling = await rollingRestart(cluster, { rate, durationS: plan.scenarioS, log });
      done('rolling', r.rolling.pass);
    }
    if (wants('ratelimit')) {
      log(`global rate limit (${plan.rateWindowS} s window)…`);
      r.rateLimit = await globalRateLimit(cluster, { windowS: plan.rateWindowS });
      done('ratelimit', r.rateLimit.pass);
    }
    if (shared && wants('split')) {
      log(`canary through r1: same split on every replica (${plan.splitRequests} requests each)…`);
      r.split = await sameSplit(cluster, { perReplica: plan.splitRequests });
      done('split', r.split.pass);
    }
    if (shared && wants('rollback')) {
      log('faulty candidate: rolled back once, by the leader…');
      r.rollback = await faultyRolledBackOnce(cluster);
      done('rollback', r.rollback.pass);
    }
    if (shared && wants('leader')) {
      log('leader SIGKILLed mid-rollout…');
      r.leader = await leaderKilledMidRollout(cluster);
      done('leader', r.leader.pass);
    }
    await cluster.stop();
    cluster = undefined;
    if (shared && wants('outage')) {
      const skip = postgresServerSkipReason('the PostgreSQL outage scenario');
      if (skip) NOT_RUN.push(`PostgreSQL stopped for 20 s: ${skip}`);
      else {
        log('PostgreSQL (own instance) stopped for 20 s under load…');
        r.outage = await postgresOutage({ rate, log });
        done('outage', r.outage.pass);
      }
    }
    if (wants('coldstart')) {
      log(`cold start (${plan.coldRuns} alternating runs)…`);
      r.cold = await coldStart({ runs: plan.coldRuns, log });
      done('coldstart', r.cold.pass);
    }

    const markdown = render(
      r,
      plan,
      started,
      loadStart,
      (performance.now() - t0) / 1000,
      values.only ? ` --only ${values.only}` : '',
    );
    process.stdout.write(`\n${markdown}\n`);
    for (const s of NOT_RUN) log(`not run: ${s.split(':')[0]}`);
    if (!shared) log('not run: the canary scenarios (split, rollback, leader) need `state.store: postgres`');
    if (!values['no-append']) appendToBenchmarks(markdown);
    log(values['no-append'] ? 'not appended' : 'appended to BENCHMARKS.md');
  } finally {
    await cluster?.stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`FAILED: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
