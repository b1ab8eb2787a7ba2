/**
 * PostgreSQL away for 20 s under a cluster of its own (issue 18, "Must show"): a PostgreSQL of the scenario's own on
 * a spare port (test/helpers/own-postgres.ts: initdb, stopped as a crash would), three replicas on it behind
 * haproxy, load through haproxy all along. Serving continues on the last known policy; readiness stays 200 and names
 * the stale state; a change made through one replica meanwhile is acknowledged, and once PostgreSQL is back every
 * replica serves it and the store holds it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { OwnPostgres, postgresServerSkipReason } from '../../test/helpers/own-postgres.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceRows, writeBodiesFile } from '../bodies.js';
import { runWrk } from '../wrk.js';
import { CANARY_MODEL, Cluster, type Replica } from './cluster.js';
import { nowMs, openLoop, tally, type Tally } from './open-loop.js';

export { postgresServerSkipReason };

async function json<T>(url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, giveUpMs = 90_000): Promise<T> {
  const stop = performance.now() + giveUpMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (performance.now() > stop) throw new Error(`gave up after ${giveUpMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const downTransitions = async (c: Cluster) => (await c.haproxy.serverStats()).reduce((n, s) => n + s.chkdown, 0);

const weightOf2 = async (r: Replica) =>
  (await json<{ weights: Record<string, number> | null }>(`${r.url}/v1/models/${CANARY_MODEL}/traffic`)).body.weights?.[
    '2'
  ];
const setWeight2 = (r: Replica, w2: number) =>
  json<{ error?: string }>(`${r.url}/v1/models/${CANARY_MODEL}/traffic`, { weights: { 1: 100 - w2, 2: w2 } });
const readiness = async (r: Replica) =>
  json<{ degraded?: Array<{ dependency: string; reason: string }> } | undefined>(`${r.url}/v2/health/ready`);

export interface OutageResult {
  readonly outageS: number;
  readonly requests: Tally;
  /** Requests sent while PostgreSQL was down, and how many failed. */
  readonly duringOutage: Tally;
  readonly beforeOutage: Tally;
  readonly afterOutage: Tally;
  /** ms from the stop until every replica's readiness named the stale state; the reason one gave. */
  readonly msToDegraded: number;
  readonly readinessStatusWhileDown: readonly number[];
  readonly degradedReason: string;
  /** The change made through r2 while PostgreSQL was down: its status, what r2 and the others served then. */
  readonly changeStatus: number;
  readonly changedReplicaServes: number | undefined;
  readonly othersServeWhileDown: ReadonlyArray<number | undefined>;
  /** ms from PostgreSQL's return until every replica served the change and readiness was clean again. */
  readonly msToCaughtUp: number;
  /** Replicas haproxy took out (UP→DOWN) from the stop to the catch-up: readiness must stay 200 throughout. */
  readonly haproxyDowns: number;
  /** The change as the store holds it afterwards. */
  readonly storedWeight2: number | undefined;
  readonly pass: boolean;
}

export async function postgresOutage(o: {
  outageS?: number;
  rate: number;
  log?: (l: string) => void;
}): Promise<OutageResult> {
  const outageS = o.outageS ?? 20;
  const own = await OwnPostgres.create();
  const tmp = mkdtempSync(join(tmpdir(), 'inferd-outage-'));
  const bodiesFile = join(tmp, 'bodies.txt');
  writeBodiesFile(bodiesFile);
  let cluster: Cluster | undefined;
  try {
    await own.start();
    cluster = await Cluster.start({
      pgUrl: own.url,
      schema: 'inferd_outage',
      redisPrefix: `inferd:cluster:${process.pid}:outage:`,
      ...(o.log ? { log: o.log } : {}),
    });
    const [r1, r2, r3] = cluster.replicas;
    // A fresh cluster is slower for its first seconds (JIT, first batches): warm it before the load counts.
    await runWrk({ url: `${cluster.url}/v2/models/${CANARY_MODEL}/infer`, connections: 16, durationS: 3, bodiesFile });
    if ((await setWeight2(r1, 30)).status !== 200) throw new Error('setting the weights before the outage failed');
    for (const r of cluster.replicas)
      await until(`${r.name} at 70/30`, async () => ((await weightOf2(r)) === 30 ? 1 : undefined));

    const rows = referenceRows();
    const abort = new AbortController();
    const load = openLoop(
      {
        url: `${cluster.url}/v2/models/${CANARY_MODEL}/infer`,
        bodies: rows.map((row) =>
          JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: row }] }),
        ),
        ratePerS: o.rate,
        durationS: 600,
      },
      abort.signal,
    );
    try {
      await sleep(2000);
      const downsBefore = await downTransitions(cluster);
      const stoppedAt = nowMs();
      await own.stop('immediate');
      o.log?.('PostgreSQL stopped');
      const reasons = await Promise.all(
        cluster.replicas.map((r) =>
          until(`${r.name} naming the stale state`, async () => {
            const x = await readiness(r);
            const d = x.body?.degraded?.find((y) => y.dependency === 'state_store');
            return d ? { status: x.status, reason: d.reason } : undefined;
          }),
        ),
      );
      const msToDegraded = nowMs() - stoppedAt;
      const change = await setWeight2(r2, 60);
      const changedReplicaServes = await weightOf2(r2);
      const othersServeWhileDown = [await weightOf2(r1), await weightOf2(r3)];
      o.log?.(
        `change through ${r2.name} while down: ${change.status}; served ${changedReplicaServes} there, ${othersServeWhileDown.join('/')} elsewhere`,
      );
      await sleep(Math.max(0, stoppedAt + outageS * 1000 - nowMs()));
      await own.start();
      const startedAt = nowMs();
      o.log?.('PostgreSQL started again');
      for (const r of cluster.replicas) {
        await until(`${r.name} serving the change made during the outage`, async () =>
          (await weightOf2(r)) === 60 ? 1 : undefined,
        );
        await until(`${r.name} ready without reservation`, async () => ((await readiness(r)).body ? undefined : 1));
      }
      const msToCaughtUp = nowMs() - startedAt;
      const haproxyDowns = (await downTransitions(cluster)) - downsBefore;
      await sleep(1000);
      abort.abort();
      const outcomes = (await load).outcomes;
      const stored = await cluster.query<{ data: string }>(
        `SELECT data FROM "${cluster.schema}".traffic_policies WHERE model = $1`,
        [CANARY_MODEL],
      );
      const storedWeight2 = stored[0]
        ? (JSON.parse(stored[0].data) as { weights?: Record<string, number> }).weights?.['2']
        : undefined;
      const requests = tally(outcomes);
      const duringOutage = tally(outcomes.filter((x) => x.sentMs >= stoppedAt && x.sentMs <= startedAt));
      const beforeOutage = tally(outcomes.filter((x) => x.sentMs < stoppedAt));
      const afterOutage = tally(outcomes.filter((x) => x.sentMs > startedAt));
      return {
        outageS,
        requests,
        duringOutage,
        beforeOutage,
        afterOutage,
        msToDegraded,
        readinessStatusWhileDown: reasons.map((x) => x.status),
        degradedReason: reasons[0].reason,
        changeStatus: change.status,
        changedReplicaServes,
        othersServeWhileDown,
        msToCaughtUp,
        haproxyDowns,
        storedWeight2,
        pass:
          requests.non2xx + requests.noAnswer === 0 &&
          haproxyDowns === 0 &&
          reasons.every((x) => x.status === 200) &&
          change.status === 200 &&
          changedReplicaServes === 60 &&
          othersServeWhileDown.every((w) => w === 30) &&
          storedWeight2 === 60,
      };
    } finally {
      abort.abort();
      await load.catch(() => undefined);
    }
  } finally {
    await cluster?.stop().catch(() => {});
    await own.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
}
