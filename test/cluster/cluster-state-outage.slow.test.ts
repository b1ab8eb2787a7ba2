/**
 * PostgreSQL away for 20 s under a local cluster of its own (bench/cluster/outage-steps.ts: a PostgreSQL of the
 * test's own on a spare port, three replicas on it behind haproxy, open-loop load through haproxy all along).
 * Asserted by counts: no request fails; every replica's readiness stays 200 and names the stale state, so haproxy
 * keeps them all; a change made through one replica while the database is away is acknowledged and served there,
 * the others serve the last known policy; once it is back, every replica serves the change and the store holds it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { it } from 'node:test';
import { sharedStateSupported } from '../../bench/cluster/cluster.js';
import { postgresOutage } from '../../bench/cluster/outage-steps.js';
import { clusterToolsSkipReason } from '../helpers/haproxy.js';
import { postgresServerSkipReason } from '../helpers/own-postgres.js';
import { CLI_PATH } from '../helpers/server.js';

const skip =
  clusterToolsSkipReason('the cluster PostgreSQL outage suite') ||
  postgresServerSkipReason('the cluster PostgreSQL outage suite') ||
  (existsSync(CLI_PATH) ? false : 'build first (npx tsc -b)');

it(
  'PostgreSQL stopped for 20 s under a cluster: serving continues, readiness says why, nothing acknowledged is lost',
  { skip, timeout: 300_000 },
  async (t) => {
    assert.ok(sharedStateSupported(), 'this build shares state in PostgreSQL');
    const r = await postgresOutage({ rate: 100, log: (l) => t.diagnostic(l) });
    t.diagnostic(
      `requests ${r.requests.total} (${r.duringOutage.total} while down), ${JSON.stringify(r.requests.kinds)}; ` +
        `readiness named the stale state ${r.msToDegraded.toFixed(0)} ms after the stop: ${r.degradedReason}; ` +
        `caught up ${r.msToCaughtUp.toFixed(0)} ms after the return`,
    );
    assert.ok(r.duringOutage.total > 0, 'requests were sent while PostgreSQL was down');
    assert.equal(r.requests.non2xx + r.requests.noAnswer, 0, `no request failed (${r.requests.firstFailure ?? ''})`);
    assert.deepEqual(r.readinessStatusWhileDown, [200, 200, 200], 'readiness stayed 200 on every replica');
    assert.match(r.degradedReason, /unreachable since/, 'and said why the state is stale');
    assert.equal(r.haproxyDowns, 0, 'haproxy kept every replica');
    assert.equal(r.changeStatus, 200, 'a change made while the database was away was acknowledged');
    assert.equal(r.changedReplicaServes, 60, 'and served by the replica that took it');
    assert.deepEqual(r.othersServeWhileDown, [30, 30], 'the others served the last known policy');
    assert.equal(r.storedWeight2, 60, 'once back, the store holds the change (every replica served it)');
  },
);
