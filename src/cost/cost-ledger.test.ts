import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CostLedger, costPerThousand } from './cost-ledger.js';

function ledgerWithClock() {
  let cpu = 10;
  const ledger = new CostLedger({ cpuSeconds: () => cpu });
  return { ledger, use: (s: number) => (cpu += s) };
}

const total = (r: { cpuSeconds: Record<string, number> }) => Object.values(r.cpuSeconds).reduce((n, s) => n + s, 0);

test('compute keeps its measured time; the rest of the process CPU is shared by the other stages by weight', () => {
  const { ledger, use } = ledgerWithClock();
  ledger.record('a', '1', 'http', { decode: 0.001, compute: 0.004, encode: 0.001 });
  ledger.record('b', '1', 'http', { decode: 0.002, compute: 0.002 });
  use(0.012);
  ledger.settle();
  const [a, b] = ledger.rows();
  assert.equal(a.cpuSeconds.compute, 0.004);
  assert.equal(b.cpuSeconds.compute, 0.002);
  // 0.012 − 0.006 compute = 0.006 over 0.004 of measured weights: 1.5× each.
  assert.ok(Math.abs(a.cpuSeconds.decode - 0.0015) < 1e-12);
  assert.ok(Math.abs(b.cpuSeconds.decode - 0.003) < 1e-12);
  assert.ok(Math.abs(total(a) + total(b) - 0.012) < 1e-12, 'the settled figures add up to the process CPU');
});

test('compute measured above what the process used is scaled down; an interval without requests is unattributed', () => {
  const { ledger, use } = ledgerWithClock();
  use(0.5);
  ledger.settle();
  assert.equal(ledger.unattributed, 0.5);
  ledger.record('a', '1', 'library', { compute: 0.02, other: 0.01 });
  use(0.01); // a descheduled worker: its wall time is more than the CPU it got
  ledger.settle();
  const [a] = ledger.rows();
  assert.ok(Math.abs(a.cpuSeconds.compute - 0.01) < 1e-12);
  assert.equal(a.cpuSeconds.other, 0);
  assert.equal(a.requests, 1);
});

test('door work adds weights without counting another request; cost of 1,000 at a core-hour price', () => {
  const { ledger, use } = ledgerWithClock();
  ledger.record('a', '1', 'http', { compute: 0.001 });
  ledger.record('a', '1', 'http', { decode: 0.001, encode: 0.001 }, 0);
  use(0.003);
  ledger.settle();
  const [a] = ledger.rows();
  assert.equal(a.requests, 1);
  assert.ok(Math.abs(total(a) - 0.003) < 1e-12);
  // 3 ms per request at 3.6 per core-hour (0.001 per CPU-second): 0.003 per 1,000.
  assert.ok(Math.abs(costPerThousand(a, 3.6) - 0.003) < 1e-12);
});
