/**
 * Defects the decoder fuzz suite (test/fuzz) found, each pinned by the smallest input that showed it:
 * error messages that echoed megabytes of caller input (names, datatypes, shapes), INT64 strings parsed however
 * long they were (BigInt is superlinear in the digits), and gRPC model names of any length.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferenceError } from '../../src/errors/index.js';
import { decodeModelInferRequest } from '../../src/transport/grpc/infer-request.js';
import type { InferInputTensor, ModelInferRequest } from '../../src/transport/grpc/messages.js';
import { decodeV2Body } from '../../src/transport/http/v2-body.js';

const HUGE = 'x'.repeat(1_100_000);

/** The InferenceError `fn` throws; fails when it throws nothing or something else. */
function refusal(fn: () => unknown): InferenceError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InferenceError, `threw ${String(err)}`);
    return err;
  }
  assert.fail('the input was accepted');
}

const v2 = (body: unknown) => () => decodeV2Body(Buffer.from(JSON.stringify(body)), { model: 'm' });

function grpcRequest(input: Partial<InferInputTensor>, extra: Partial<ModelInferRequest> = {}): ModelInferRequest {
  const tensor: InferInputTensor = {
    name: 'x',
    datatype: 'FP32',
    shape: ['1'],
    parameters: {},
    contents: null,
    ...input,
  };
  return {
    model_name: 'm',
    model_version: '',
    id: '',
    parameters: {},
    inputs: [tensor],
    outputs: [],
    raw_input_contents: [],
    ...extra,
  };
}

describe('decoder fuzz findings', () => {
  it('V2: a shape with a dimension past 2^53 - 1 is refused even when another dimension is 0', () => {
    const e = refusal(v2({ inputs: [{ name: 'b', datatype: 'UINT64', shape: [1, 0, 9007199254740992], data: [] }] }));
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, /'shape' must be an array of non-negative integers/);
  });

  it('V2: a megabyte datatype is not echoed in the message', () => {
    const e = refusal(v2({ inputs: [{ name: 'x', datatype: HUGE, shape: [1], data: [1] }] }));
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.ok(e.message.length < 500, `message of ${e.message.length} characters`);
    assert.match(e.message, /unknown datatype "x{10,}\.\.\.; use one of BOOL/);
  });

  it('V2: a megabyte input name is cut to 64 characters in messages', () => {
    const e = refusal(v2({ inputs: [{ name: HUGE, datatype: 'FP32', shape: [2], data: [1] }] }));
    assert.ok(e.message.length < 500, `message of ${e.message.length} characters`);
    assert.match(e.message, /^input 'x{64}\.\.\.': shape \[2\] needs 2 elements/);
  });

  it('V2: a shape of 100,000 dimensions is summarised, not listed', () => {
    const e = refusal(
      v2({ inputs: [{ name: 'x', datatype: 'FP32', shape: [...new Array(100_000).fill(1), -1], data: [1] }] }),
    );
    assert.ok(e.message.length < 500, `message of ${e.message.length} characters`);
  });

  it('V2: an INT64 element of a million digits is refused before it is parsed', () => {
    const e = refusal(v2({ inputs: [{ name: 'x', datatype: 'INT64', shape: [1], data: ['9'.repeat(1_000_000)] }] }));
    // Refused for its length (the message names the limit), so it was never parsed: no timing needed to show it.
    assert.match(e.message, /element 0 is "9+.*at most 24 characters/);
    // Integers still arrive as strings when they have a sensible length.
    assert.deepEqual(
      Array.from(
        decodeV2Body(
          Buffer.from('{"inputs":[{"name":"x","datatype":"INT64","shape":[1],"data":["-9223372036854775808"]}]}'),
          { model: 'm' },
        ).inputs[0].data as BigInt64Array,
      ),
      [-(2n ** 63n)],
    );
  });

  it('gRPC: a megabyte input name and datatype are cut in messages', () => {
    for (const input of [
      { name: HUGE },
      { datatype: HUGE },
      {
        name: HUGE,
        contents: {
          fp32_contents: [1],
          bool_contents: [],
          int_contents: [],
          int64_contents: [],
          uint_contents: [],
          uint64_contents: [],
          fp64_contents: [],
          bytes_contents: [],
        },
      },
    ]) {
      const e = refusal(() =>
        decodeModelInferRequest(grpcRequest({ shape: ['2'], ...input }, { raw_input_contents: [Buffer.alloc(4)] })),
      );
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.ok(e.message.length < 500, `message of ${e.message.length} characters: ${e.message.slice(0, 100)}`);
    }
  });

  it('gRPC: a model_name longer than any model folder name is refused', () => {
    const e = refusal(() => decodeModelInferRequest(grpcRequest({}, { model_name: HUGE })));
    assert.match(e.message, /longer than 128 characters/);
    assert.ok(e.message.length < 500);
  });
});
