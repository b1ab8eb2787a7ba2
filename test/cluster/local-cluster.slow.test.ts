/**
 * The local cluster (bench/cluster: `npm run cluster:local`, `npm run cluster:scenarios -- --quick`): three built
 * replicas on 127.0.0.1 behind haproxy, sharing this machine's PostgreSQL (own schema) and Redis (own prefix).
 * Under open-loop load at half of the capacity measured through haproxy, for 10 s each (issue 18, "Must show"):
 * - SIGKILL one replica: at most 0.1 % of requests fail, none sent after haproxy marked it down, and haproxy marked
 *   it down on its own checks (one UP→DOWN transition after `fall` failed checks, 500 ms apart);
 * - rolling SIGTERM restart of all three: no non-2xx answer, no unanswered request;
 * - a global rate limit of 1,000 per minute across the three (Redis buckets) admits burst + rate × window ± 2 %;
 * with the shared state in PostgreSQL (`state.store: postgres`):
 * - a canary started through one replica is served by all three at the same split (± 3 points over 3,000 requests
 *   each);
 * - a faulty candidate, served too rarely by each replica alone, is rolled back once: one verdict, by one replica,
 *   one rollback event in the shared log and in each replica's;
 * - the leader SIGKILLed mid-rollout: another replica takes the lock and the rollout finishes, no verdict twice.
 * Counts are asserted; times (propagation, takeover) are reported with t.diagnostic, not asserted.
 * The PostgreSQL outage is in cluster-state-outage.slow.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Cluster, DEFAULT_PG_URL, DEFAULT_REDIS_URL } from '../../bench/cluster/cluster.js';
import { CHECK } from '../../bench/cluster/haproxy.js';
import {
  globalRateLimit,
  killOneReplica,
  measureCapacity,
  RATE_LIMIT_CONFIG,
  rollingRestart,
} from '../../bench/cluster/scenario-steps.js';
import { faultyRolledBackOnce, leaderKilledMidRollout, sameSplit } from '../../bench/cluster/canary-steps.js';
import { clusterToolsSkipReason } from '../helpers/haproxy.js';
import { CLI_PATH } from '../helpers/server.js';

const SCENARIO_S = 10;

/** The shared Redis and PostgreSQL answer; else why not (skipped loudly; under INFERD_CI=1, an error). */
async function servicesSkipReason(): Promise<false | string> {
  const problems: string[] = [];
  const redis = new Redis(DEFAULT_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  await redis
    .connect()
    .then(() => redis.ping())
    .catch((err: Error) => problems.push(`Redis at ${DEFAULT_REDIS_URL}: ${err.message}`));
  redis.disconnect();
  const client = new pg.Client({ connectionString: DEFAULT_PG_URL, connectionTimeoutMillis: 3000 });
  await client.connect().catch((err: Error) => problems.push(`PostgreSQL at ${DEFAULT_PG_URL}: ${err.message}`));
  await client.end().catch(() => {});
  if (problems.length === 0) return false;
  const message = `${problems.join('; ')} (start them, or see .ci/run)`;
  if (process.env.INFERD_CI === '1') throw new Error(`INFERD_CI=1: ${message}`);
  process.stderr.write(`\n!!! SKIPPING the local cluster suite: ${message} !!!\n\n`);
  return message;
}

const toolsMissing = clusterToolsSkipReason('the local cluster suite');
const notBuilt = existsSync(CLI_PATH) ? false : 'build first (npx tsc -b)';
const servicesMissing = toolsMissing || notBuilt ? false : await servicesSkipReason();
const skip = toolsMissing || notBuilt || servicesMissing;

describe('local cluster: 3 replicas behind haproxy, load at half of capacity', { skip, timeout: 600_000 }, () => {
  let cluster: Cluster;
  let rate = 0;
  const tmp = mkdtempSync(join(tmpdir(), 'inferd-cluster-test-'));

  before(async () => {
    cluster = await Cluster.start({ extraConfig: RATE_LIMIT_CONFIG });
    await measureCapacity(cluster, 2, tmp);
    const capacity = await measureCapacity(cluster, 3, tmp);
    assert.equal(capacity.non2xx, 0, 'every answer while measuring capacity was 2xx');
    rate = Math.max(20, Math.round(capacity.rps / 2));
  });

  after(async () => {
    await cluster?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('SIGKILL one replica: ≤ 0.1 % fail, none sent after haproxy marks it down after `fall` failed checks', async (t) => {
    const r = await killOneReplica(cluster, { rate, durationS: SCENARIO_S });
    t.diagnostic(
      `${r.all.total} requests at ${r.sentRate.toFixed(0)} req/s; failed ${r.all.non2xx + r.all.noAnswer} ` +
        `(${JSON.stringify(r.all.kinds)}); ${r.afterDown.total} sent after DOWN; DOWN ${r.msToDown.toFixed(0)} ms ` +
        `after the kill, after ${r.chkfailAtDown} failed checks; retries ${r.retries}, redispatches ${r.redispatches}`,
    );
    assert.ok(r.all.total > 0);
    assert.ok(
      r.all.non2xx + r.all.noAnswer <= Math.floor(r.all.total * 0.001),
      `at most 0.1 % of ${r.all.total} failed: ${r.all.non2xx + r.all.noAnswer} (${r.all.firstFailure ?? ''})`,
    );
    assert.ok(r.afterDown.total > 0, 'requests were sent after haproxy marked the replica down');
    assert.equal(r.afterDown.non2xx + r.afterDown.noAnswer, 0, 'none of them failed');
    assert.equal(r.chkdown, 1, "haproxy's own checks took the replica out: one UP→DOWN transition");
    // `fall` failed checks `inter` (500 ms) apart: marked down within fall × inter of the first failure (≤ 3 s).
    // (One more check may have failed between the transition and the next look at the admin socket.)
    assert.ok(
      r.chkfailAtDown >= CHECK.fall && r.chkfailAtDown <= CHECK.fall + 1,
      `marked down after ${CHECK.fall} failed checks (seen after ${r.chkfailAtDown})`,
    );
    assert.ok(
      cluster.replicas.every((x) => x.alive()),
      'the killed replica was started again',
    );
  });

  it('rolling SIGTERM restart of all three: 0 non-2xx, 0 unanswered', async (t) => {
    const r = await rollingRestart(cluster, { rate, durationS: SCENARIO_S });
    t.diagnostic(
      `${r.all.total} requests at ${r.sentRate.toFixed(0)} req/s over ${r.durationS.toFixed(1)} s; ` +
        r.restarts.map((x) => `${x.name} drained ${x.drainMs.toFixed(0)} ms, UP ${x.upMs.toFixed(0)} ms`).join('; '),
    );
    assert.equal(r.restarts.length, 3, 'every replica restarted');
    assert.ok(r.all.total > 0);
    assert.equal(r.all.non2xx, 0, `no non-2xx answer (${JSON.stringify(r.all.kinds)}, ${r.all.firstFailure ?? ''})`);
    assert.equal(r.all.noAnswer, 0, `no unanswered request (${r.all.firstFailure ?? ''})`);
  });

  it('a global rate limit of 1,000 per minute across the three admits burst + rate × window ± 2 %', async (t) => {
    const r = await globalRateLimit(cluster, { windowS: SCENARIO_S });
    t.diagnostic(
      `offered ${r.offeredRate.toFixed(1)} req/s for ${r.windowS.toFixed(2)} s: admitted ${r.admitted}, expected ` +
        `${r.expected.toFixed(1)} (${(100 * r.deviation).toFixed(2)} %), 429 ×${r.refused429}, other ${r.other}`,
    );
    assert.equal(r.other, 0, 'every request was admitted (200) or refused (429)');
    assert.ok(r.refused429 > 0, 'the offered load was over the limit');
    assert.ok(
      Math.abs(r.admitted - r.expected) <= 0.02 * r.expected,
      `admitted ${r.admitted}, expected ${r.expected.toFixed(1)} ± 2 %`,
    );
  });

  describe('with the shared state in PostgreSQL', () => {
    it('a canary started through one replica: all three serve the same split', async (t) => {
      assert.equal(cluster.sharedState, 'postgres', 'this build shares state in PostgreSQL');
      const r = await sameSplit(cluster, { perReplica: 3000 });
      t.diagnostic(
        r.replicas
          .map(
            (x) =>
              `${x.name}: weights served ${x.propagationMs.toFixed(0)} ms after the 201, share ${(100 * x.share).toFixed(1)} %`,
          )
          .join('; '),
      );
      for (const x of r.replicas)
        assert.ok(
          Math.abs(100 * x.share - r.weight) <= 3,
          `${x.name} serves the candidate ${(100 * x.share).toFixed(1)} % of 3000 requests, the weight is ${r.weight} %`,
        );
    });

    it('a faulty candidate is rolled back once, by one leader, with one verdict event', async (t) => {
      const r = await faultyRolledBackOnce(cluster);
      t.diagnostic(
        `rolled back everywhere ${r.msToRolledBackEverywhere.toFixed(0)} ms after the load began; verdicts by ` +
          `${r.verdictReplicas.join(', ')}; requests ${JSON.stringify(r.requests.kinds)}`,
      );
      assert.equal(r.verdicts, 1, 'one verdict in the ledger');
      assert.equal(r.rollbackVerdicts, 1, 'a rollback');
      assert.equal(r.verdictReplicas.length, 1, 'written by one replica');
      assert.equal(r.sharedRollbackEvents, 1, 'one rollback event in the shared log');
      assert.deepEqual(r.perReplicaRollbackEvents, [1, 1, 1], "and one in each replica's log");
    });

    it('the leader SIGKILLed mid-rollout: another replica continues it, no verdict twice', async (t) => {
      const r = await leaderKilledMidRollout(cluster);
      t.diagnostic(
        `${r.oldLeader} killed; ${r.newLeader ?? '?'} leads ${r.msToNewLeader.toFixed(0)} ms later, next verdict after ` +
          `${r.msToNextVerdict.toFixed(0)} ms; verdicts ${r.verdictsBefore} → ${r.verdictsAfter}`,
      );
      assert.notEqual(r.newLeader, r.oldLeader, 'another replica leads');
      assert.ok(r.verdictsAfter > r.verdictsBefore, 'the new leader recorded verdicts');
      assert.equal(r.duplicateVerdicts, 0, 'no step decided twice');
      assert.equal(r.finalStatus, 'succeeded', 'the rollout finished');
      assert.ok(
        cluster.replicas.every((x) => x.alive()),
        'the killed replica was started again',
      );
    });
  });
});
