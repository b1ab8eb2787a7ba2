import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import {
  isRedacted,
  logSafeRequest,
  pinoRedactPaths,
  REDACTED,
  redactionPolicy,
  redactParameters,
} from './redaction.js';

const policy = redactionPolicy(['inputs.ssn', 'inputs.email', 'parameters.api_key', 'outputs.score']);

describe('redaction', () => {
  it('sorts field paths into inputs, outputs and parameters', () => {
    assert.ok(isRedacted(policy, 'inputs', 'ssn'));
    assert.ok(isRedacted(policy, 'outputs', 'score'));
    assert.ok(isRedacted(policy, 'parameters', 'api_key'));
    assert.ok(!isRedacted(policy, 'inputs', 'api_key'));
  });

  it('replaces redacted parameters with the marker and leaves the rest', () => {
    assert.deepEqual(redactParameters({ api_key: 'sk-123', priority: 2 }, policy), { api_key: REDACTED, priority: 2 });
    assert.equal(redactParameters(undefined, policy), undefined);
  });

  it('summarises a request for logs without any tensor data', () => {
    const request = {
      model: 'm',
      id: 'r1',
      inputs: [{ name: 'ssn', datatype: 'BYTES', shape: [1], data: ['123-45-6789'] }],
      parameters: { api_key: 'sk-123' },
    };
    const text = JSON.stringify(logSafeRequest(request, policy));
    assert.ok(!text.includes('123-45-6789') && !text.includes('sk-123'), text);
    assert.match(text, /"name":"ssn"/);
  });

  it('gives pino paths that censor parameters and named inputs, at the top level and one level down', () => {
    const lines: string[] = [];
    const logger = pino(
      { redact: { paths: pinoRedactPaths(policy), censor: REDACTED } },
      { write: (s: string) => lines.push(s) },
    );
    logger.info({ parameters: { api_key: 'sk-123', priority: 1 }, request: { inputs: { ssn: '123-45-6789' } } }, 'x');
    assert.ok(!lines[0].includes('sk-123') && !lines[0].includes('123-45-6789'), lines[0]);
    assert.match(lines[0], /"priority":1/);
  });

  it('refuses a path outside inputs, outputs and parameters', () => {
    assert.throws(() => redactionPolicy(['body.ssn']), /must start with inputs\., outputs\. or parameters\./);
  });
});
