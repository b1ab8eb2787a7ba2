/**
 * Overload at 3× capacity for 30 s with mixed priorities, against the built server as a child process (see
 * bench/priority-load.ts; `node dist/bench/overload-priorities.js` runs the same scenario and prints a table).
 * Asserted: the process stays up and ready, its memory stays bounded, every request is answered 200 or 503 (no
 * other status, no dropped connection), lower priorities are shed before higher ones, and shedding shows in
 * inferd_shed_total. Latencies are benchmark figures on a shared machine: reported, not asserted.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { it } from 'node:test';
import { runOverloadScenario } from '../../bench/priority-load.js';
import { CLI_PATH } from '../helpers/server.js';

/** Memory bound: generous against the ~200–250 MB this server uses, small against what an unbounded queue would grow to. */
const RSS_LIMIT_MB = 1024;

it(
  '3× capacity for 30 s with mixed priorities: stays up, memory bounded, low priority shed before high',
  { timeout: 180_000, skip: existsSync(CLI_PATH) ? false : 'build first (npx tsc -p .)' },
  async (t) => {
    const r = await runOverloadScenario({ factor: 3, durationS: 30, probeS: 3, log: (l) => t.diagnostic(l) });
    const [high, mid, low] = r.levels;
    const share = (l: (typeof r.levels)[number]) => (l.sent ? l.ok / l.sent : 0);
    t.diagnostic(
      `capacity ${r.capacityRps} req/s, offered ${r.offeredRps} req/s; unloaded p50 ${r.unloadedP50Ms} ms p99 ${r.unloadedP99Ms} ms`,
    );
    for (const l of r.levels) {
      t.diagnostic(
        `priority ${l.priority}: sent ${l.sent}, 200 ${l.ok} (${(100 * share(l)).toFixed(1)} %), 503 ${l.refused}, other ${l.other}; ` +
          `200 p50 ${l.okP50Ms} ms p99 ${l.okP99Ms} ms; 503 p50 ${l.refusedP50Ms} ms p99 ${l.refusedP99Ms} ms`,
      );
    }
    t.diagnostic(`high-priority p99 / unloaded p99 = ${(high.okP99Ms / r.unloadedP99Ms).toFixed(2)} (target ≤ 2)`);
    t.diagnostic(`RSS start ${r.rssStartMb} MB, max ${r.rssMaxMb} MB, end ${r.rssEndMb} MB`);
    t.diagnostic(`inferd_shed_total ${JSON.stringify(r.shed)}`);

    assert.ok(r.aliveAfter, 'the server process is still running');
    assert.equal(r.healthAfter, 200, 'and ready');
    assert.ok(r.rssMaxMb < RSS_LIMIT_MB, `RSS peaked at ${r.rssMaxMb} MB`);
    for (const l of r.levels) assert.equal(l.other, 0, `priority ${l.priority}: every request answered 200 or 503`);
    assert.ok(low.refused > 0, 'the overload was real: low priority was refused');
    assert.ok(
      share(high) > share(low),
      `high priority's success share ${share(high).toFixed(3)} beats low's ${share(low).toFixed(3)}`,
    );
    assert.ok(share(high) >= share(mid) && share(mid) >= share(low), 'success shares fall with priority');
    const shedOf = (p: number) =>
      Object.entries(r.shed)
        .filter(([k]) => k.endsWith(`p${p}`))
        .reduce((n, [, v]) => n + v, 0);
    assert.ok(shedOf(3) > shedOf(1), 'inferd_shed_total counts more low-priority than high-priority refusals');
    assert.ok((r.shed['evicted p3'] ?? 0) > 0, 'queued low-priority requests were evicted for higher ones');
  },
);
