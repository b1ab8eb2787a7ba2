/**
 * With auth on, who asked is who authenticated: the prediction log records the principal (API key name or JWT
 * issuer and subject) as the caller, over HTTP and gRPC, and keeps a client's x-inferd-caller claim apart. Feedback
 * labels join only predictions of the principal that sends them, so a request id two callers both chose never
 * carries one caller's label onto the other's prediction.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import type { StoredPrediction } from '../../src/audit/audit-record.js';
import { connect } from '../grpc/grpc-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { DIGITS } from '../audit/audit-helpers.js';
import { KEYS, startSecureServer, type SecureServer } from './security-helpers.js';

function digitsBody(id: string, row: number): string {
  const data = DIGITS.inputs[row];
  return JSON.stringify({ id, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, data.length], data }] });
}

describe('audit identity and feedback joins with auth on', () => {
  let s: SecureServer;

  before(async () => {
    s = await startSecureServer({ audit: true, grpc: true });
  });
  after(async () => {
    await s?.stop();
  });

  const send = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
    const res = await fetch(`${s.server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  /** The logged predictions with this request id, once the log has written `count` of them. */
  const logged = async (id: string, count = 1): Promise<StoredPrediction[]> => {
    let found: StoredPrediction[] = [];
    await waitFor(async () => {
      const r = await send('GET', `/v1/predictions?request_id=${id}`, { 'x-api-key': KEYS.ops });
      found = (r.json.predictions ?? []) as StoredPrediction[];
      return found.length >= count;
    }, `prediction ${id} to be logged`);
    return found;
  };

  it('records the API key or JWT principal as the caller; x-inferd-caller is kept apart as a claim', async () => {
    const spoofed = await send(
      'POST',
      '/v2/models/digits/infer',
      { 'x-api-key': KEYS.web, 'x-inferd-caller': 'ops' },
      digitsBody('who-key', 0),
    );
    assert.equal(spoofed.status, 200, spoofed.text);
    const [byKey] = await logged('who-key');
    assert.deepEqual([byKey.caller, byKey.caller_source, byKey.claimed_caller], ['key:web', 'authenticated', 'ops']);

    const jwt = await send(
      'POST',
      '/v2/models/digits/infer',
      { authorization: `Bearer ${await s.token({ subject: 'alice' })}` },
      digitsBody('who-jwt', 0),
    );
    assert.equal(jwt.status, 200, jwt.text);
    const [byJwt] = await logged('who-jwt');
    assert.deepEqual(
      [byJwt.caller, byJwt.caller_source, byJwt.claimed_caller],
      ['jwt:test-idp:alice', 'authenticated', null],
    );

    const grpc = connect(s.server.grpcUrl!, {}, { 'x-api-key': KEYS.web, 'x-inferd-caller': 'ops' });
    try {
      const data = DIGITS.inputs[0];
      await grpc.call('ModelInfer', {
        model_name: 'digits',
        id: 'who-grpc',
        inputs: [
          { name: 'input', datatype: 'FP32', shape: ['1', String(data.length)], contents: { fp32_contents: data } },
        ],
      });
    } finally {
      grpc.close();
    }
    const [byGrpc] = await logged('who-grpc');
    assert.deepEqual([byGrpc.caller, byGrpc.caller_source, byGrpc.claimed_caller], ['key:web', 'authenticated', 'ops']);
  });

  it("a label joins only the sender's own prediction, even when two callers chose the same request id", async () => {
    // web and ops both send 'dup-1', for different digits: each one's label must meet its own prediction.
    assert.equal(
      (await send('POST', '/v2/models/digits/infer', { 'x-api-key': KEYS.web }, digitsBody('dup-1', 0))).status,
      200,
    );
    assert.equal(
      (await send('POST', '/v2/models/digits/infer', { 'x-api-key': KEYS.ops }, digitsBody('dup-1', 1))).status,
      200,
    );
    assert.equal(
      (await send('POST', '/v2/models/digits/infer', { 'x-api-key': KEYS.web }, digitsBody('web-only', 2))).status,
      200,
    );
    const predicted = new Map(
      (await logged('dup-1', 2)).map((p) => [p.caller, Number(p.outputs.find((t) => t.name === 'label')!.data![0])]),
    );
    assert.equal(predicted.size, 2, 'both predictions are logged');
    assert.notEqual(
      predicted.get('key:web'),
      predicted.get('key:ops'),
      'the two predictions differ, so the join shows which one it met',
    );

    const label = (id: string) => JSON.stringify({ feedback: [{ id, label: 3 }] });
    const web = await send('POST', '/v1/models/digits/feedback', { 'x-api-key': KEYS.web }, label('dup-1'));
    assert.equal(web.status, 200, web.text);
    assert.equal(web.json.accepted, 1);
    const ops = await send('POST', '/v1/models/digits/feedback', { 'x-api-key': KEYS.ops }, label('dup-1'));
    assert.deepEqual(
      [ops.json.accepted, ops.json.duplicate],
      [1, 0],
      "ops's label is its own, not a duplicate of web's",
    );
    const stealing = await send('POST', '/v1/feedback', { 'x-api-key': KEYS.ops }, label('web-only'));
    assert.deepEqual([stealing.json.accepted, stealing.json.unknown], [0, 1], "ops cannot label web's prediction");
    const spoofing = await send(
      'POST',
      '/v1/models/digits/feedback',
      { 'x-api-key': KEYS.ops, 'x-inferd-caller': 'key:web' },
      label('web-only'),
    );
    assert.deepEqual([spoofing.json.accepted, spoofing.json.unknown], [0, 1], 'a claimed name does not make ops web');

    const db = new Database(join(s.dir, 'audit.db'), { readonly: true });
    try {
      const rows = db
        .prepare("SELECT principal, predicted FROM feedback WHERE request_id = 'dup-1' ORDER BY principal")
        .all() as Array<{ principal: string; predicted: number }>;
      assert.deepEqual(rows, [
        { principal: 'key:ops', predicted: predicted.get('key:ops') },
        { principal: 'key:web', predicted: predicted.get('key:web') },
      ]);
    } finally {
      db.close();
    }
  });
});
