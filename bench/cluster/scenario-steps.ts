/**
 * The "Must show" scenarios of the local cluster (issue 18), one function each, returning figures and a verdict.
 * Used by `npm run cluster:scenarios` (scenarios.ts) and test/cluster/cluster.slow.test.ts.
 *
 * Load is open loop (open-loop.ts) at a fixed share of the capacity measured first with closed-loop wrk through
 * haproxy: requests keep leaving at the same rate while a replica dies or restarts, so every failure shows.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inferBody, referenceRows, writeBodiesFile } from '../bodies.js';
import { request } from '../http-client.js';
import { DIST_BENCH, INFERD_CLI, MODELS_DIR, REPO_ROOT } from '../paths.js';
import { median } from '../stats.js';
import { runWrk } from '../wrk.js';
import { sparePort, type Cluster, type Replica } from './cluster.js';
import { CHECK } from './haproxy.js';
import { nowMs, openLoop, tally, type Outcome, type Tally } from './open-loop.js';

export type Log = (line: string) => void;

export function digitsBodies(): string[] {
  return referenceRows().map((r) => inferBody(r));
}

const digitsUrl = (c: Cluster) => `${c.url}/v2/models/digits/infer`;

// ---------------------------------------------------------------------------------------------------------------
// Capacity

export interface Capacity {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly connections: number;
  readonly durationS: number;
  readonly non2xx: number;
}

/** Closed-loop wrk through haproxy (one wrk thread: on 2 cores every extra thread takes CPU from the replicas). */
export async function measureCapacity(c: Cluster, durationS: number, tmp: string, connections = 32): Promise<Capacity> {
  const bodiesFile = join(tmp, 'digits-bodies.txt');
  writeBodiesFile(bodiesFile);
  const r = await runWrk({ url: digitsUrl(c), connections, durationS, bodiesFile });
  return {
    rps: r.rps,
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
    connections,
    durationS,
    non2xx: r.non2xx + r.connectErrors + r.readErrors + r.writeErrors + r.timeouts,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// SIGKILL one replica

export interface KillResult {
  readonly rate: number;
  readonly sentRate: number;
  readonly durationS: number;
  readonly victim: string;
  readonly all: Tally;
  /** Requests sent after haproxy reported the victim DOWN, and how many of them failed. */
  readonly afterDown: Tally;
  /** Milliseconds from SIGKILL to haproxy's admin socket reporting the server DOWN (polled every 20 ms). */
  readonly msToDown: number;
  /** haproxy's counters for the victim: failed checks when it was first seen DOWN, by the end; UP→DOWN transitions. */
  readonly chkfailAtDown: number;
  readonly chkfail: number;
  readonly chkdown: number;
  /** haproxy's retries and redispatches (all servers) during the scenario. */
  readonly retries: number;
  readonly redispatches: number;
  readonly failedShare: number;
  readonly pass: boolean;
}

async function retryCounters(c: Cluster): Promise<{ retries: number; redispatches: number }> {
  const stats = await c.haproxy.serverStats();
  return {
    retries: stats.reduce((n, s) => n + s.wretr, 0),
    redispatches: stats.reduce((n, s) => n + s.wredis, 0),
  };
}

/** Load for `durationS`; a third of the way in, SIGKILL `victim`; after the load, it is started again. */
export async function killOneReplica(
  c: Cluster,
  o: { rate: number; durationS: number; victim?: number; log?: Log },
): Promise<KillResult> {
  const victim: Replica = c.replicas[o.victim ?? 1];
  const before = await c.haproxy.serverStat(victim.name);
  const countersBefore = await retryCounters(c);
  const load = openLoop({ url: digitsUrl(c), bodies: digitsBodies(), ratePerS: o.rate, durationS: o.durationS });
  await sleep((o.durationS * 1000) / 3);
  const killedAt = nowMs();
  await victim.kill();
  o.log?.(`SIGKILL ${victim.name}`);
  let downAt = NaN;
  let chkfailAtDown = NaN;
  const giveUp = killedAt + 30_000;
  while (nowMs() < giveUp) {
    const s = await c.haproxy.serverStat(victim.name);
    if (s.status.startsWith('DOWN') && !s.status.includes('/')) {
      downAt = nowMs();
      chkfailAtDown = s.chkfail - before.chkfail;
      break;
    }
    await sleep(20);
  }
  o.log?.(`haproxy marked ${victim.name} DOWN ${(downAt - killedAt).toFixed(0)} ms after the kill`);
  const r = await load;
  const after = await c.haproxy.serverStat(victim.name);
  const countersAfter = await retryCounters(c);
  await victim.start();
  await c.waitStatus(victim.name, 'UP');
  const all = tally(r.outcomes);
  const afterDown = tally(r.outcomes.filter((x: Outcome) => x.sentMs >= downAt));
  const msToDown = downAt - killedAt;
  const failedShare = all.total ? (all.non2xx + all.noAnswer) / all.total : 1;
  return {
    rate: o.rate,
    sentRate: r.sentRate,
    durationS: r.durationS,
    victim: victim.name,
    all,
    afterDown,
    msToDown,
    chkfailAtDown,
    chkfail: after.chkfail - before.chkfail,
    chkdown: after.chkdown - before.chkdown,
    retries: countersAfter.retries - countersBefore.retries,
    redispatches: countersAfter.redispatches - countersBefore.redispatches,
    failedShare,
    pass:
      failedShare <= 0.001 &&
      afterDown.non2xx + afterDown.noAnswer === 0 &&
      msToDown <= 3000 &&
      after.chkdown - before.chkdown === 1,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Rolling SIGTERM restart

export interface RollingResult {
  readonly rate: number;
  readonly sentRate: number;
  readonly durationS: number;
  readonly all: Tally;
  /** Per replica: ms from SIGTERM to exit, and from start to haproxy UP again. */
  readonly restarts: ReadonlyArray<{ readonly name: string; readonly drainMs: number; readonly upMs: number }>;
  readonly pass: boolean;
}

/**
 * Load for at least `durationS` (longer if the restarts take longer); meanwhile each replica in turn gets SIGTERM,
 * is started again once it exited, and the next one follows once haproxy reports it UP.
 */
export async function rollingRestart(
  c: Cluster,
  o: { rate: number; durationS: number; log?: Log },
): Promise<RollingResult> {
  const abort = new AbortController();
  const started = performance.now();
  const load = openLoop({ url: digitsUrl(c), bodies: digitsBodies(), ratePerS: o.rate, durationS: 600 }, abort.signal);
  const restarts: Array<{ name: string; drainMs: number; upMs: number }> = [];
  try {
    await sleep(1000);
    for (const r of c.replicas) {
      const t0 = performance.now();
      await r.stop();
      const t1 = performance.now();
      await r.start();
      await c.waitStatus(r.name, 'UP');
      const t2 = performance.now();
      restarts.push({ name: r.name, drainMs: t1 - t0, upMs: t2 - t1 });
      o.log?.(`${r.name}: drained and exited in ${(t1 - t0).toFixed(0)} ms, UP again ${(t2 - t1).toFixed(0)} ms later`);
    }
    const rest = o.durationS * 1000 - (performance.now() - started);
    await sleep(Math.max(1000, rest));
  } finally {
    abort.abort();
  }
  const r = await load;
  const all = tally(r.outcomes);
  return {
    rate: o.rate,
    sentRate: r.sentRate,
    durationS: r.durationS,
    all,
    restarts,
    pass: all.total > 0 && all.non2xx === 0 && all.noAnswer === 0 && restarts.length === c.replicas.length,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Global rate limit through Redis

/** The limit every replica gets on RATE_LIMITED_MODEL (`auth.model_limits`), shared through Redis. */
export const RATE_LIMIT_PER_MIN = 1000;
export const RATE_LIMITED_MODEL = 'mlp_heavy';
export const RATE_LIMIT_BURST = 10;
export const RATE_LIMIT_CONFIG = {
  auth: {
    model_limits: {
      // A burst of 10 (0.6 s of the rate): a client that pauses briefly loses nothing, and a minute admits 1,010.
      [RATE_LIMITED_MODEL]: { requests_per_second: RATE_LIMIT_PER_MIN / 60, burst: RATE_LIMIT_BURST },
    },
  },
} as const;

export interface RateLimitResult {
  readonly offeredRate: number;
  readonly windowS: number;
  readonly sent: number;
  readonly admitted: number;
  readonly refused429: number;
  readonly other: number;
  /** burst + rate × window (the bucket starts full). */
  readonly expected: number;
  readonly deviation: number;
  /** Admitted per replica (which replica answered is not visible through haproxy: from haproxy's counters). */
  readonly pass: boolean;
}

/**
 * Offers RATE_LIMITED_MODEL `factor`× its limit for `windowS` through haproxy (round robin: every replica takes a
 * third) and counts 200s. The bucket starts full, so the window admits burst + rate × window.
 */
export async function globalRateLimit(c: Cluster, o: { windowS: number; factor?: number }): Promise<RateLimitResult> {
  const rows = referenceRows();
  // mlp_heavy takes the same 64-feature rows as digits.
  const bodies = rows.map((r) => inferBody(r));
  const perS = RATE_LIMIT_PER_MIN / 60;
  const offeredRate = perS * (o.factor ?? 3);
  const r = await openLoop({
    url: `${c.url}/v2/models/${RATE_LIMITED_MODEL}/infer`,
    bodies,
    ratePerS: offeredRate,
    durationS: o.windowS,
  });
  const t = tally(r.outcomes);
  const first = r.outcomes[0]?.sentMs ?? 0;
  const last = r.outcomes.at(-1)?.sentMs ?? 0;
  const windowS = (last - first) / 1000;
  const expected = RATE_LIMIT_BURST + perS * windowS;
  const refused429 = t.kinds['429'] ?? 0;
  const deviation = (t.ok - expected) / expected;
  return {
    offeredRate,
    windowS,
    sent: t.total,
    admitted: t.ok,
    refused429,
    other: t.total - t.ok - refused429,
    expected,
    deviation,
    pass: Math.abs(deviation) <= 0.02 && t.total - t.ok - refused429 === 0,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Cold start

export interface ColdStartResult {
  readonly runs: number;
  readonly inferdMs: readonly number[];
  readonly naiveMs: readonly number[];
  /** `node -e ''` start to exit: the floor any Node server pays. */
  readonly nodeFloorMs: readonly number[];
  /**
   * Where inferd's time goes (medians): main() to listening as inferd logs it (`startup_ms`), of which digits'
   * load and warm-up (`load_ms`, `warmup_ms`); the rest of spawn → ready is Node's start and the module imports.
   */
  readonly inferdStartupMs: number;
  readonly digitsLoadMs: number;
  readonly digitsWarmupMs: number;
  readonly inferdMedianMs: number;
  readonly naiveMedianMs: number;
  readonly ratio: number;
  readonly pass: boolean;
}

/**
 * Spawns, polls `url` every 5 ms until `isReady`, then SIGKILLs; returns ms from spawn to ready, and what the
 * process logged meanwhile.
 */
async function timeToReady(
  args: readonly string[],
  url: string,
  isReady: (status: number) => boolean,
  giveUpMs = 60_000,
): Promise<{ ms: number; output: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.resume();
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${args[0]} exited before ready`);
      const r = await request(undefined, url, 'GET', undefined, 1000).catch(() => undefined);
      if (r && isReady(r.status)) return { ms: performance.now() - t0, output };
      if (performance.now() - t0 > giveUpMs) throw new Error(`${args[0]} not ready after ${giveUpMs} ms`);
      await sleep(5);
    }
  } finally {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  }
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFERD_')));
}

/**
 * Process start → ready for digits alone: inferd (`/v2/health/ready` 200) against the naive fastify +
 * onnxruntime peer loading digits alone (it listens only once its session is created, so its first HTTP answer
 * of any status means ready). Alternating runs, medians.
 */
export async function coldStart(o: { runs: number; log?: Log }): Promise<ColdStartResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'inferd-coldstart-'));
  try {
    const repo = join(tmp, 'models');
    mkdirSync(repo);
    cpSync(join(MODELS_DIR, 'digits'), join(repo, 'digits'), { recursive: true });
    const inferdMs: number[] = [];
    const naiveMs: number[] = [];
    const nodeFloorMs: number[] = [];
    const startupMs: number[] = [];
    const loadMs: number[] = [];
    const warmupMs: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const order = i % 2 === 0 ? (['inferd', 'naive'] as const) : (['naive', 'inferd'] as const);
      for (const which of order) {
        const port = await sparePort();
        const url = `http://127.0.0.1:${port}/v2/health/ready`;
        if (which === 'inferd') {
          const { ms, output } = await timeToReady(
            [
              INFERD_CLI,
              'serve',
              '--model-repository',
              repo,
              '--http-port',
              String(port),
              '--grpc-port',
              '-1',
              '--metrics-port',
              '-1',
              '--log-level',
              'info',
            ],
            url,
            (s) => s === 200,
          );
          inferdMs.push(ms);
          for (const line of output.split('\n')) {
            if (!line.startsWith('{')) continue;
            const l = JSON.parse(line) as { startup_ms?: number; load_ms?: number; warmup_ms?: number; event?: string };
            if (typeof l.startup_ms === 'number') startupMs.push(l.startup_ms);
            if (l.event === undefined && typeof l.load_ms === 'number') loadMs.push(l.load_ms);
            if (l.event === undefined && typeof l.warmup_ms === 'number') warmupMs.push(l.warmup_ms);
          }
        } else {
          const { ms } = await timeToReady(
            [
              join(DIST_BENCH, 'naive-peer.js'),
              '--model-repository',
              repo,
              '--models',
              'digits',
              '--port',
              String(port),
            ],
            url,
            () => true,
          );
          naiveMs.push(ms);
        }
      }
      const t0 = performance.now();
      await new Promise<void>((resolve) =>
        spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).once('exit', () => resolve()),
      );
      nodeFloorMs.push(performance.now() - t0);
      o.log?.(
        `cold start run ${i + 1}/${o.runs}: inferd ${inferdMs.at(-1)?.toFixed(0)} ms, naive ${naiveMs.at(-1)?.toFixed(0)} ms`,
      );
    }
    const inferdMedianMs = median(inferdMs);
    const naiveMedianMs = median(naiveMs);
    const ratio = inferdMedianMs / naiveMedianMs;
    return {
      runs: o.runs,
      inferdMs,
      naiveMs,
      nodeFloorMs,
      inferdStartupMs: median(startupMs),
      digitsLoadMs: median(loadMs),
      digitsWarmupMs: median(warmupMs),
      inferdMedianMs,
      naiveMedianMs,
      ratio,
      pass: ratio <= 1.5,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The health-check settings, for reports. */
export const CHECK_TEXT = `inter ${CHECK.interMs} ms, fall ${CHECK.fall}, rise ${CHECK.rise}`;
