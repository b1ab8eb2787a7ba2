import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.js';
import { ShedLog } from './shed-log.js';

function setUp() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  let nowMs = 1_000_000;
  const shed = new ShedLog({ logger: createLogger('info', { destination: sink, format: 'json' }), now: () => nowMs });
  return { lines, shed, advance: (ms: number) => (nowMs += ms) };
}

test('thousands of shed requests become one line per model with counts by reason', () => {
  const { lines, shed, advance } = setUp();
  for (let i = 0; i < 5900; i++) shed.observe({ model: 'digits', outcome: 'rejected', shedReason: 'queue_full' });
  for (let i = 0; i < 12; i++) shed.observe({ model: 'digits', outcome: 'rejected', shedReason: 'evicted' });
  shed.observe({ model: 'fraud', outcome: 'rejected' }); // refused without a shed reason (e.g. unloading)
  shed.observe({ model: 'digits', outcome: 'success' });
  shed.observe({ model: 'digits', outcome: 'timeout' });
  assert.equal(lines.length, 0, 'nothing is written per request');
  advance(5000);
  shed.flush();
  assert.deepEqual(
    lines.map((l) => l.msg),
    [
      'model digits: shed 5,912 requests in the last 5s: queue_full 5,900, evicted 12',
      'model fraud: shed 1 request in the last 5s: unavailable 1',
    ],
  );
  assert.deepEqual(lines[0].reasons, { queue_full: 5900, evicted: 12 });
  assert.equal(lines[0].level, 40);
  assert.equal(lines[0].interval_s, 5);
});

test('each interval counts afresh; a quiet interval writes nothing', () => {
  const { lines, shed, advance } = setUp();
  shed.observe({ model: 'digits', outcome: 'rejected', shedReason: 'adaptive_limit' });
  advance(5000);
  shed.flush();
  advance(5000);
  shed.flush();
  shed.observe({ model: 'digits', outcome: 'rejected', shedReason: 'concurrency_limit' });
  shed.observe({ model: 'digits', outcome: 'rejected', shedReason: 'concurrency_limit' });
  advance(2000);
  shed.stop(); // writes what is left
  assert.deepEqual(
    lines.map((l) => l.msg),
    [
      'model digits: shed 1 request in the last 5s: adaptive_limit 1',
      'model digits: shed 2 requests in the last 2s: concurrency_limit 2',
    ],
  );
});
