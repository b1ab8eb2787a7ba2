/**
 * What a server logs about requests: a queue timeout once (not again by the HTTP error handler); requests shed
 * under load summed per model and interval, not a warn line each.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { postJson, startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';
import { captureLog, type CapturedLog } from './log-capture.js';

// A partial batch waits a minute for company, so a request with a 1 ms timeout always expires in the queue, and
// while one waits (max_queue_size 1) every other is refused: no race with the machine's speed.
const WAITING = `max_batch_size: 8
dynamic_batching:
  preferred_batch_size: [8]
  max_queue_delay_microseconds: 60000000
  max_queue_size: 1
  max_timeout_microseconds: 1000000
`;

let repo: TempRepository;
let server: RunningServer;
let log: CapturedLog;

before(async () => {
  repo = await tempRepository({ waiting: { onnx: 'slow_sum.onnx', config: { file: 'config.yaml', text: WAITING } } });
  log = captureLog();
  server = await startTestServer({
    repository: repo.dir,
    config: { grpc_port: -1, log_level: 'info' },
    logger: log.logger,
  });
});

after(async () => {
  await server.close();
  await repo.cleanup();
});

const input = () => ({ name: 'x', datatype: 'FP32' as const, shape: [1, 256], data: new Float32Array(256).fill(0.01) });

test('a queue timeout over HTTP is logged once, by the request log, with its code', async () => {
  const body = {
    id: 'late-1',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: new Array<number>(256).fill(0.01) }],
    parameters: { timeout: 1000 },
  };
  const r = await postJson(`${server.url}/v2/models/waiting/infer`, body);
  assert.equal(r.status, 504);
  const mentions = log.lines.filter((l) => l.includes('past its timeout'));
  assert.equal(mentions.length, 1, `one line, not two:\n${mentions.join('\n')}`);
  const line = JSON.parse(mentions[0]) as Record<string, unknown>;
  assert.equal(line.msg, 'request failed');
  assert.equal(line.request_id, 'late-1');
  assert.equal(line.status, 'timeout');
  assert.equal(line.code, 'DEADLINE_EXCEEDED');
});

test('shed requests are summed in one warn line per model and interval, not a line each', async () => {
  // One turn: the first request takes the queue's only place (and times out after 1 ms), the other 30 are refused.
  const results = await Promise.allSettled(
    Array.from({ length: 31 }, (_, i) =>
      server.inferd.infer({ model: 'waiting', inputs: [input()], parameters: i === 0 ? { timeout: 1000 } : undefined }),
    ),
  );
  const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'ok'));
  assert.deepEqual(codes.filter((c) => c === 'UNAVAILABLE').length, 30);
  assert.equal(codes[0], 'DEADLINE_EXCEEDED');
  const warnsBefore = log.entries().filter((e) => e.level === 40);
  assert.equal(warnsBefore.filter((e) => e.status === 'rejected').length, 0, 'no line per shed request');
  await server.close(); // writes what the interval has counted so far
  const summaries = log.entries().filter((e) => e.shed !== undefined);
  assert.equal(summaries.length, 1);
  assert.equal(summaries[0].model, 'waiting');
  assert.equal(summaries[0].shed, 30);
  assert.deepEqual(summaries[0].reasons, { queue_full: 30 });
  assert.match(String(summaries[0].msg), /^model waiting: shed 30 requests in the last \d+s: queue_full 30$/);
});
