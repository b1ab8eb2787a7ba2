import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, isPrettyLogger } from './logger.js';
import { prettyLine } from './pretty-log.js';

function sink(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

test('log_format pretty writes time, level, message and key=value fields, one line each', () => {
  const out = sink();
  const logger = createLogger('info', { destination: out.stream, format: 'pretty' });
  assert.ok(isPrettyLogger(logger));
  logger.info({ request_id: 'r-1', model: 'digits', version: '1', status: 'success', latency_ms: 1.25 }, 'request');
  logger.warn({ model: 'digits', error: 'shape [1, 3] is wrong' }, 'request failed');
  const lines = out.text().split('\n').filter(Boolean);
  assert.equal(lines.length, 2);
  assert.match(
    lines[0],
    /^\d\d:\d\d:\d\d\.\d{3} INFO {2}request request_id=r-1 model=digits version=1 status=success latency_ms=1\.25$/,
  );
  assert.match(lines[1], /^\d\d:\d\d:\d\d\.\d{3} WARN {2}request failed model=digits error="shape \[1, 3\] is wrong"$/);
  assert.doesNotMatch(out.text(), /\{"level"/, 'no JSON');
});

test('errors keep their stack under the line; colour only on a terminal', () => {
  const line = JSON.stringify({
    level: 50,
    time: '2026-12-07T14:02:07.412Z',
    service: 'inferd',
    msg: 'request failed',
    err: { message: 'boom', stack: 'Error: boom\n    at run (x.js:1:1)' },
  });
  assert.equal(
    prettyLine(`${line}\n`, { colour: false }),
    '14:02:07.412 ERROR request failed\n    Error: boom\n        at run (x.js:1:1)\n',
  );
  assert.equal(
    prettyLine(`${line}\n`, { colour: true }).split('\n')[0],
    '14:02:07.412 \x1b[31mERROR\x1b[0m request failed',
  );
  assert.equal(prettyLine('not json\n', { colour: false }), 'not json\n');
});

test('log_format auto is JSON when the output is not a terminal and pretty when it is', () => {
  const file = sink();
  createLogger('info', { destination: file.stream, format: 'auto' }).info('hello');
  assert.equal((JSON.parse(file.text()) as { msg: string }).msg, 'hello');
  const terminal = sink();
  terminal.stream.isTTY = true;
  const logger = createLogger('info', { destination: terminal.stream, format: 'auto' });
  logger.info('hello');
  assert.ok(terminal.text().endsWith(' \x1b[32mINFO \x1b[0m hello\n'), JSON.stringify(terminal.text()));
  assert.ok(isPrettyLogger(logger));
  const json = sink();
  json.stream.isTTY = true;
  createLogger('info', { destination: json.stream, format: 'json' }).info('hello');
  assert.match(json.text(), /^\{"level":30/);
});
