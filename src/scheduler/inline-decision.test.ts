import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideInline, runsInline, WORKERS_ONLY } from './inline-decision.js';

describe('decideInline', () => {
  it('runs inline when the measured compute is at or below the threshold', () => {
    const d = decideInline({ thresholdUs: 100, measuredNs: 21_000, rows: 1 });
    assert.equal(d.inline, true);
    assert.equal(d.measuredComputeUs, 21);
    assert.equal(d.reason, 'compute 21 µs for 1 row ≤ threshold 100 µs');
  });

  it('keeps the workers when the model computes longer, saying by how much', () => {
    const d = decideInline({ thresholdUs: 100, measuredNs: 642_200, rows: 1 });
    assert.equal(d.inline, false);
    assert.equal(d.reason, 'compute 642.2 µs for 1 row > threshold 100 µs');
  });

  it('keeps the workers when inline execution is off or nothing was measured', () => {
    assert.equal(decideInline({ thresholdUs: undefined, measuredNs: 1, rows: 1 }), WORKERS_ONLY);
    const d = decideInline({ thresholdUs: 100, measuredNs: undefined, rows: 0, unmeasured: 'warm-up is off' });
    assert.equal(d.inline, false);
    assert.equal(d.reason, 'not measured: warm-up is off');
  });
});

describe('runsInline', () => {
  const inline = decideInline({ thresholdUs: 100, measuredNs: 20_000, rows: 2 });
  const lone = { batchJobs: 1, batchRows: 1, queued: 1, executing: 0 };

  it('runs the lone request inline', () => assert.equal(runsInline(inline, lone), true));

  it('falls back to the workers as soon as a queue forms or a call is computing', () => {
    assert.equal(runsInline(inline, { ...lone, queued: 2 }), false);
    assert.equal(runsInline(inline, { ...lone, batchJobs: 2, batchRows: 2, queued: 2 }), false);
    assert.equal(runsInline(inline, { ...lone, executing: 1 }), false);
  });

  it('sends a request for an explanation to the workers: it costs far more than the measured prediction', () =>
    assert.equal(runsInline(inline, { ...lone, explains: true }), false));

  it('sends a request larger than the measured one to the workers', () => {
    assert.equal(runsInline(inline, { ...lone, batchRows: 2 }), true);
    assert.equal(runsInline(inline, { ...lone, batchRows: 3 }), false);
  });

  it('never runs inline for a version that chose the workers', () =>
    assert.equal(runsInline(WORKERS_ONLY, lone), false));
});
