/**
 * The canary scenarios of the local cluster (issue 18, "Must show"), on CANARY_MODEL (cluster.ts) with the shared
 * state in PostgreSQL: a rollout started through one replica is served at the same split by all three within 2 s;
 * a faulty candidate is rolled back once, by the leader, with one verdict; the leader SIGKILLed mid-rollout, another
 * replica continues it within 10 s with no verdict written twice. Used by scenarios.ts and test/cluster/.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { referenceRows } from '../bodies.js';
import { CANARY_MODEL, type Cluster, type Replica } from './cluster.js';
import { nowMs, openLoop, tally, type Tally } from './open-loop.js';

interface TrafficJson {
  weights: Record<string, number> | null;
  rollout: { id: string; status: string; weight: number } | null;
}

async function call<T>(
  url: string,
  method: 'GET' | 'POST' = 'GET',
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const r = await fetch(url, {
    method,
    headers: text === undefined ? {} : { 'content-type': 'application/json' },
    body: text ?? null,
    signal: AbortSignal.timeout(10_000),
  });
  const raw = await r.text();
  return { status: r.status, body: (raw ? JSON.parse(raw) : {}) as T };
}

/** Polls `check` every `everyMs` until it returns a value; throws naming `what` after `giveUpMs`. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  giveUpMs = 60_000,
  everyMs = 20,
): Promise<T> {
  const stop = performance.now() + giveUpMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (performance.now() > stop) throw new Error(`gave up after ${giveUpMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const canaryUrl = (base: string) => `${base}/v1/models/${CANARY_MODEL}`;

function canaryBody(i: number, glitch = false): string {
  const rows = referenceRows();
  const row = [...rows[i % rows.length]];
  // A pixel at 20, outside digits' 0..16: the faulty candidate fails such a row, the stable version answers it.
  if (glitch) row[i % 64] = 20;
  return JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: row }] });
}

/** Aborts the model's active rollout, if any (through `via`), and waits until every replica has no active rollout. */
async function noActiveRollout(c: Cluster, via: Replica): Promise<void> {
  const t = (await call<TrafficJson>(`${canaryUrl(via.url)}/traffic`)).body;
  if (t.rollout && (t.rollout.status === 'progressing' || t.rollout.status === 'paused'))
    await call(`${canaryUrl(via.url)}/rollouts/${t.rollout.id}/abort`, 'POST');
  for (const r of c.replicas)
    await until(`no active rollout on ${r.name}`, async () => {
      const x = (await call<TrafficJson>(`${canaryUrl(r.url)}/traffic`)).body;
      return !x.rollout || !['progressing', 'paused'].includes(x.rollout.status) ? true : undefined;
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Same split everywhere

export interface SplitResult {
  readonly weight: number;
  /** Per replica: ms from the 201 to serving the rollout's weights, and the candidate's share over `perReplica`. */
  readonly replicas: ReadonlyArray<{ readonly name: string; readonly propagationMs: number; readonly share: number }>;
  readonly perReplica: number;
  readonly maxPropagationMs: number;
  /** Largest distance, in points, of a replica's candidate share from the weight. */
  readonly maxDeviationPts: number;
  readonly pass: boolean;
}

/** Counts which version answered `n` requests sent straight to one replica (8 at a time). */
async function versionShare(url: string, n: number, version: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let next = 0;
  let hits = 0;
  let answered = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) {
        const i = next++;
        const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const body = canaryBody(i);
          const req = http.request(
            `${url}/v2/models/${CANARY_MODEL}/infer`,
            { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
            (res) => {
              let text = '';
              res.setEncoding('utf8').on('data', (s: string) => (text += s));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
            },
          );
          req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
          req.on('error', reject);
          req.end(body);
        });
        if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.body.slice(0, 200)}`);
        answered++;
        if ((JSON.parse(r.body) as { model_version: string }).model_version === version) hits++;
      }
    }),
  );
  agent.destroy();
  return hits / answered;
}

/**
 * Starts a rollout of version 2 at `weight` % through the first replica (no analysis decides: one long interval,
 * a check needing more samples than sent), measures how long each replica takes to serve its weights, then sends
 * `perReplica` requests straight to each and counts version 2's share. Aborts the rollout after.
 */
export async function sameSplit(c: Cluster, o: { perReplica: number; weight?: number }): Promise<SplitResult> {
  const weight = o.weight ?? 30;
  const [first] = c.replicas;
  await noActiveRollout(c, first);
  const spec = {
    candidate: 2,
    stable: 1,
    steps: [weight, 100],
    interval_ms: 3_600_000,
    checks: { error_rate: { max_increase: 0.5, min_samples: 1_000_000 } },
  };
  const created = await call<{ id: string }>(`${canaryUrl(first.url)}/rollouts`, 'POST', spec);
  const at = nowMs();
  if (created.status !== 201) throw new Error(`rollout refused: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id;
  const propagation = await Promise.all(
    c.replicas.map(async (r) => {
      const ms = await until(`${r.name} serving rollout ${id}`, async () => {
        const t = (await call<TrafficJson>(`${canaryUrl(r.url)}/traffic`)).body;
        return t.rollout?.id === id && t.weights?.['2'] === weight ? nowMs() - at : undefined;
      });
      return { name: r.name, propagationMs: ms };
    }),
  );
  const replicas = [];
  for (const [i, r] of c.replicas.entries()) {
    const share = await versionShare(r.url, o.perReplica, '2');
    replicas.push({ ...propagation[i], share });
  }
  await noActiveRollout(c, c.replicas[c.replicas.length - 1]);
  const maxPropagationMs = Math.max(...replicas.map((r) => r.propagationMs));
  const maxDeviationPts = Math.max(...replicas.map((r) => Math.abs(100 * r.share - weight)));
  return {
    weight,
    replicas,
    perReplica: o.perReplica,
    maxPropagationMs,
    maxDeviationPts,
    pass: maxPropagationMs <= 2000 && maxDeviationPts <= 3,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A faulty candidate, rolled back once

interface VerdictRow {
  seq: number;
  step: number;
  action: string;
  replica: string;
}

async function verdicts(c: Cluster, id: string): Promise<VerdictRow[]> {
  return c.query<VerdictRow>(
    `SELECT seq, step, action, replica FROM "${c.schema}".canary_verdicts WHERE rollout_id = $1 ORDER BY seq`,
    [id],
  );
}

async function sharedEvents(c: Cluster, id: string, type: string): Promise<number> {
  const rows = await c.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${c.schema}".rollout_events WHERE rollout = $1 AND type = $2`,
    [id, type],
  );
  return rows[0]?.n ?? 0;
}

export interface RollbackResult {
  readonly requests: Tally;
  /** Verdict rows of the rollout in the ledger, and the replicas that wrote them. */
  readonly verdicts: number;
  readonly rollbackVerdicts: number;
  readonly verdictReplicas: readonly string[];
  readonly leaderName: string | undefined;
  /** rollout_rolled_back events in the shared log, and in each replica's log. */
  readonly sharedRollbackEvents: number;
  readonly perReplicaRollbackEvents: readonly number[];
  readonly msToRolledBackEverywhere: number;
  readonly pass: boolean;
}

/**
 * A rollout of the faulty version 3 at 50 % through the second replica, then rows it fails sent through haproxy
 * (a third to each replica: each alone serves the candidate fewer than `min_samples`). The leader, judging the sum,
 * rolls it back: once, one verdict, one event everywhere.
 */
export async function faultyRolledBackOnce(c: Cluster, o: { requests?: number } = {}): Promise<RollbackResult> {
  const via = c.replicas[1];
  await noActiveRollout(c, via);
  const minSamples = 30;
  const spec = {
    candidate: 3,
    stable: 1,
    steps: [50, 100],
    interval_ms: 3_600_000,
    checks: { error_rate: { max_increase: 0.05, min_samples: minSamples } },
  };
  const leader = await c.leader();
  const created = await call<{ id: string }>(`${canaryUrl(via.url)}/rollouts`, 'POST', spec);
  if (created.status !== 201) throw new Error(`rollout refused: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id;
  for (const r of c.replicas)
    await until(`${r.name} serving rollout ${id}`, async () => {
      const t = (await call<TrafficJson>(`${canaryUrl(r.url)}/traffic`)).body;
      return t.rollout?.id === id ? true : undefined;
    });
  const start = nowMs();
  const load = await openLoop({
    url: `${c.url}/v2/models/${CANARY_MODEL}/infer`,
    bodies: Array.from({ length: 64 }, (_, i) => canaryBody(i, true)),
    ratePerS: 50,
    durationS: (o.requests ?? 150) / 50,
  });
  for (const r of c.replicas)
    await until(`rollback seen on ${r.name}`, async () => {
      const x = (await call<{ status: string }>(`${canaryUrl(r.url)}/rollouts/${id}`)).body;
      return x.status === 'failed' ? true : undefined;
    });
  const msToRolledBackEverywhere = nowMs() - start;
  // Let any second verdict (there must be none) and any late event land before counting.
  await sleep(2000);
  const v = await verdicts(c, id);
  const perReplicaRollbackEvents = await Promise.all(
    c.replicas.map(async (r) => {
      const events = (await call<{ events: Array<{ type: string; rollout?: string }> }>(`${canaryUrl(r.url)}/events`))
        .body.events;
      return events.filter((e) => e.rollout === id && e.type === 'rollout_rolled_back').length;
    }),
  );
  const sharedRollbackEvents = await sharedEvents(c, id, 'rollout_rolled_back');
  const rollbackVerdicts = v.filter((x) => x.action === 'rollback').length;
  const verdictReplicas = [...new Set(v.map((x) => x.replica))];
  return {
    requests: tally(load.outcomes),
    verdicts: v.length,
    rollbackVerdicts,
    verdictReplicas: verdictReplicas.map((id) => c.replicas.find((r) => r.instanceId === id)?.name ?? id),
    leaderName: leader?.name,
    sharedRollbackEvents,
    perReplicaRollbackEvents,
    msToRolledBackEverywhere,
    pass:
      rollbackVerdicts === 1 &&
      v.length === 1 &&
      verdictReplicas.length === 1 &&
      sharedRollbackEvents === 1 &&
      perReplicaRollbackEvents.every((n) => n === 1),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The leader killed mid-rollout

export interface LeaderKillResult {
  readonly oldLeader: string;
  readonly newLeader: string | undefined;
  /** ms from SIGKILL to another replica holding the lock, and to the rollout's next verdict. */
  readonly msToNewLeader: number;
  readonly msToNextVerdict: number;
  readonly verdictsBefore: number;
  readonly verdictsAfter: number;
  /** (step, action) pairs recorded more than once among advance/promote/rollback verdicts. */
  readonly duplicateVerdicts: number;
  readonly finalStatus: string;
  readonly requests: Tally;
  readonly pass: boolean;
}

/**
 * A rollout of version 2 (identical answers) with steps 10 → 50 → 100 and short intervals, started through a
 * replica that is not the leader, under light load through haproxy. Once the leader has recorded its first
 * verdict it is SIGKILLed; another replica must take the lock and record the next verdict within 10 s, and no
 * (step, decision) is recorded twice. The killed replica is started again after.
 */
export async function leaderKilledMidRollout(c: Cluster, o: { intervalMs?: number } = {}): Promise<LeaderKillResult> {
  const leader = await until('a canary leader', () => c.leader());
  const via = c.replicas.find((r) => r !== leader)!;
  await noActiveRollout(c, via);
  const intervalMs = o.intervalMs ?? 3000;
  const spec = {
    candidate: 2,
    stable: 1,
    steps: [10, 50, 100],
    interval_ms: intervalMs,
    checks: { error_rate: { max_increase: 0.5, min_samples: 5 } },
  };
  const abort = new AbortController();
  const load = openLoop(
    {
      url: `${c.url}/v2/models/${CANARY_MODEL}/infer`,
      bodies: Array.from({ length: 32 }, (_, i) => canaryBody(i)),
      ratePerS: 60,
      durationS: 600,
    },
    abort.signal,
  );
  try {
    const created = await call<{ id: string }>(`${canaryUrl(via.url)}/rollouts`, 'POST', spec);
    if (created.status !== 201) throw new Error(`rollout refused: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body.id;
    const decided = (v: VerdictRow[]) => v.filter((x) => x.action !== 'hold');
    await until('the first verdict', async () => ((await verdicts(c, id)).length > 0 ? true : undefined), 60_000, 50);
    const verdictsBefore = (await verdicts(c, id)).length;
    const killedAt = nowMs();
    await leader.kill();
    const [newLeader, msToNewLeader] = await until(
      'another leader',
      async () => {
        const l = await c.leader();
        return l && l !== leader ? ([l, nowMs() - killedAt] as const) : undefined;
      },
      60_000,
      50,
    );
    const msToNextVerdict = await until(
      'the next verdict',
      async () => ((await verdicts(c, id)).length > verdictsBefore ? nowMs() - killedAt : undefined),
      60_000,
      50,
    );
    const finalStatus = await until(
      'the rollout to finish',
      async () => {
        const x = (await call<{ status: string }>(`${canaryUrl(newLeader.url)}/rollouts/${id}`)).body;
        return ['succeeded', 'failed', 'aborted'].includes(x.status) ? x.status : undefined;
      },
      120_000,
      100,
    );
    const all = await verdicts(c, id);
    const seen = new Map<string, number>();
    for (const v of decided(all)) seen.set(`${v.step}:${v.action}`, (seen.get(`${v.step}:${v.action}`) ?? 0) + 1);
    const duplicateVerdicts = [...seen.values()].filter((n) => n > 1).length;
    abort.abort();
    const requests = tally((await load).outcomes);
    await leader.start();
    await c.waitStatus(leader.name, 'UP');
    return {
      oldLeader: leader.name,
      newLeader: newLeader.name,
      msToNewLeader,
      msToNextVerdict,
      verdictsBefore,
      verdictsAfter: all.length,
      duplicateVerdicts,
      finalStatus,
      requests,
      pass: msToNextVerdict <= 10_000 && duplicateVerdicts === 0 && finalStatus === 'succeeded',
    };
  } finally {
    abort.abort();
    await load.catch(() => undefined);
    if (!leader.alive()) {
      await leader.start().catch(() => undefined);
      await c.waitStatus(leader.name, 'UP').catch(() => undefined);
    }
  }
}
