/**
 * The runbook's example of a failed request's log line shows only fields the server's request log writes, so an
 * on-call engineer filtering on them finds what they look for.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../src/telemetry/logger.js';
import { requestLogger } from '../../src/telemetry/request-log.js';

const RUNBOOK = new URL('../../../docs/runbooks/InferdAvailabilityFastBurn.md', import.meta.url);
const OUTCOMES = ['success', 'client_error', 'rejected', 'timeout', 'error'];

/** The JSON lines of the runbook's ```json blocks that are log lines (they carry `msg`). */
function exampleLogLines(markdown: string): Array<Record<string, unknown>> {
  const blocks = [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.split('\n').filter((l) => l.trim().startsWith('{'))).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'msg' in l);
}

/** What the production logger writes for one failed request. */
function realFailedRequestLine(): Record<string, unknown> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = requestLogger(createLogger('info', sink), 'errors');
  log.observe({
    model: 'M', version: '2', protocol: 'http', outcome: 'error', seconds: 0.003912, stages: {},
    requestId: 'r-1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', code: 'INTERNAL', error: 'the model failed',
  });
  assert.equal(lines.length, 1, 'a failed request writes one line');
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

test("the runbook's log example shows only fields a failed request's log line has, with values of their kind", () => {
  const examples = exampleLogLines(readFileSync(RUNBOOK, 'utf8'));
  assert.ok(examples.length > 0, 'the runbook shows a log line');
  const real = realFailedRequestLine();
  for (const example of examples) {
    const unknown = Object.keys(example).filter((k) => !(k in real));
    assert.deepEqual(unknown, [], `the runbook shows fields the log does not write: ${unknown.join(', ')}`);
    for (const [key, value] of Object.entries(example)) {
      assert.equal(typeof value, typeof real[key], `field '${key}' is a ${typeof real[key]} in the log`);
    }
    assert.equal(example.msg, real.msg);
    assert.equal(example.level, real.level);
    assert.ok(OUTCOMES.includes(String(example.status)), `status is an outcome (${OUTCOMES.join(', ')}), not ${String(example.status)}`);
  }
});
