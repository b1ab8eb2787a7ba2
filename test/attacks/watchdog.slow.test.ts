/**
 * The event-loop watchdog over every attack scenario (scenarios.ts): while the attack runs, a probe client on its
 * own connection keeps being answered, 200, before the attack is over. This is an ordering, not a time: a server
 * whose event loop the attack held would answer the probe only after the attack had finished. Probe latency
 * percentiles are reported as diagnostics; `npm run bench:attacks` measures them against the 100 ms p99 target.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SCENARIOS } from './scenarios.js';
import { describeReport, watch } from './watchdog.js';

describe('event-loop watchdog: probes are answered while each attack runs', () => {
  it('has a scenario for every defence', () => {
    assert.ok(SCENARIOS.length > 0, 'no attack scenarios registered in test/attacks/scenarios.ts');
  });
  for (const scenario of SCENARIOS) {
    it(scenario.name, async (t) => {
      const report = await watch(scenario);
      t.diagnostic(describeReport(report));
      assert.equal(report.failed, 0, `a probe failed during '${scenario.name}': ${report.firstFailure}`);
      assert.ok(
        report.answeredDuringAttack >= 1,
        `no probe was answered while '${scenario.name}' ran: the attack held the event loop (${describeReport(report)})`,
      );
    });
  }
});
