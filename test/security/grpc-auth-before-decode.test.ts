/**
 * gRPC checks credentials before it decodes a message: an unauthenticated caller's message is never decoded,
 * however large or malformed. Garbage bytes answer UNAUTHENTICATED (not INVALID_ARGUMENT) and no decode runs;
 * the same bytes from an authenticated caller are decoded and refused as malformed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { messagesDecoded, peekStringField } from '../../src/transport/grpc/deferred-message.js';
import { connect } from '../grpc/grpc-client.js';
import { KEYS, startSecureServer, type SecureServer } from './security-helpers.js';

let s: SecureServer;
before(async () => {
  s = await startSecureServer();
});
after(() => s.stop());

/** A varint longer than any: no protobuf decoder accepts it. */
const GARBAGE = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

async function rawOutcome(metadata: Record<string, string>, bytes: Buffer): Promise<ServiceError> {
  const client = connect(s.server.grpcUrl!, {}, metadata);
  try {
    await client.callRaw('ModelInfer', bytes);
    assert.fail('the call was answered');
  } catch (err) {
    return err as ServiceError;
  } finally {
    client.close();
  }
}

test('unauthenticated ModelInfer with bytes that do not decode: UNAUTHENTICATED, and nothing was decoded', async () => {
  const before = messagesDecoded();
  assert.equal((await rawOutcome({}, GARBAGE)).code, status.UNAUTHENTICATED);
  assert.equal((await rawOutcome({ 'x-api-key': 'not-a-key' }, GARBAGE)).code, status.UNAUTHENTICATED);
  assert.equal(messagesDecoded() - before, 0);
});

test('the same bytes from an authenticated caller are decoded, and refused as malformed', async () => {
  const before = messagesDecoded();
  const err = await rawOutcome({ 'x-api-key': KEYS.ops }, GARBAGE);
  assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
  assert.match(err.details, /not a valid ModelInfer message/);
  assert.equal(messagesDecoded() - before, 1);
});

test('a caller without the model scope is refused before the message is decoded', async () => {
  const before = messagesDecoded();
  // model_name (field 1) = 'breast_cancer', then an input the decoder would have to read.
  const name = Buffer.from('breast_cancer');
  const bytes = Buffer.concat([Buffer.from([0x0a, name.length]), name, Buffer.from([0x2a, 0x00])]);
  const err = await rawOutcome({ 'x-api-key': KEYS.web }, bytes);
  assert.equal(err.code, status.PERMISSION_DENIED, err.details);
  assert.equal(messagesDecoded() - before, 0);
});

test('the model field is read from the top level, the last one winning, as decoders do', () => {
  const field = (n: number, text: string) =>
    Buffer.concat([Buffer.from([(n << 3) | 2, text.length]), Buffer.from(text)]);
  assert.equal(peekStringField(Buffer.concat([field(1, 'a'), field(5, 'xx'), field(1, 'b')]), 1), 'b');
  assert.equal(peekStringField(field(2, 'a'), 1), undefined);
  assert.equal(peekStringField(Buffer.from([0x0a, 0x05, 0x61]), 1), undefined, 'a length past the end');
  assert.equal(peekStringField(GARBAGE, 1), undefined);
});

test('a model name the reader cannot see but a lenient decoder would find is refused, not run unchecked', async () => {
  // Field 1 with wire type 7 (none such): the reader gives up; protobufjs still reads a model name from it.
  const err = await rawOutcome({ 'x-api-key': KEYS.ops }, Buffer.from([0x0f, 0x02, 0x01, 0x02]));
  assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
  assert.match(err.details, /model name could not be read unambiguously/);
});
