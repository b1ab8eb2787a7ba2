/**
 * Every datatype through the gRPC front end (dtypes_identity: in_<t> → out_<t>), as raw contents and as typed
 * contents; the message size limit; and a graceful stop with calls in flight (slow_sum).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { resolveServerConfig, type RunningServer } from '../../src/index.js';
import { toFloat16Bits } from '../../src/lib/float16.js';
import { startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';
import {
  asFloat32,
  connect,
  grpcError,
  rawBytes,
  rawOutput,
  rawStrings,
  type InferenceClient,
  type InferResponse,
} from './grpc-client.js';

interface Case {
  readonly datatype: string;
  /** The elements' raw encoding. */
  readonly raw: Buffer;
  readonly count: number;
  /** The same elements as typed contents (absent: FP16 has no field). */
  readonly contents?: Record<string, unknown[]>;
}

const STRINGS = ['hello', 'héllo', '', '日本語 🙂'];

const CASES: Record<string, Case> = {
  bool: {
    datatype: 'BOOL',
    raw: rawBytes(Uint8Array.from([1, 0, 1])),
    count: 3,
    contents: { bool_contents: [true, false, true] },
  },
  int8: {
    datatype: 'INT8',
    raw: rawBytes(Int8Array.from([-128, -1, 0, 127])),
    count: 4,
    contents: { int_contents: [-128, -1, 0, 127] },
  },
  int16: {
    datatype: 'INT16',
    raw: rawBytes(Int16Array.from([-32768, 0, 32767])),
    count: 3,
    contents: { int_contents: [-32768, 0, 32767] },
  },
  int32: {
    datatype: 'INT32',
    raw: rawBytes(Int32Array.from([-2147483648, 7, 2147483647])),
    count: 3,
    contents: { int_contents: [-2147483648, 7, 2147483647] },
  },
  int64: {
    datatype: 'INT64',
    raw: rawBytes(BigInt64Array.from([-(2n ** 63n), -1n, 2n ** 63n - 1n])),
    count: 3,
    contents: { int64_contents: ['-9223372036854775808', '-1', '9223372036854775807'] },
  },
  uint8: {
    datatype: 'UINT8',
    raw: rawBytes(Uint8Array.from([0, 128, 255])),
    count: 3,
    contents: { uint_contents: [0, 128, 255] },
  },
  uint16: {
    datatype: 'UINT16',
    raw: rawBytes(Uint16Array.from([0, 65535])),
    count: 2,
    contents: { uint_contents: [0, 65535] },
  },
  uint32: {
    datatype: 'UINT32',
    raw: rawBytes(Uint32Array.from([0, 4294967295])),
    count: 2,
    contents: { uint_contents: [0, 4294967295] },
  },
  uint64: {
    datatype: 'UINT64',
    raw: rawBytes(BigUint64Array.from([0n, 2n ** 64n - 1n])),
    count: 2,
    contents: { uint64_contents: ['0', '18446744073709551615'] },
  },
  fp16: { datatype: 'FP16', raw: rawBytes(Uint16Array.from([0.5, 65504, -2, 2 ** -24].map(toFloat16Bits))), count: 4 },
  fp32: {
    datatype: 'FP32',
    raw: rawBytes(Float32Array.from([1.5, Math.fround(-0.1), 0])),
    count: 3,
    contents: { fp32_contents: [1.5, Math.fround(-0.1), 0] },
  },
  fp64: {
    datatype: 'FP64',
    raw: rawBytes(Float64Array.from([0.1, -1e308, Math.PI])),
    count: 3,
    contents: { fp64_contents: [0.1, -1e308, Math.PI] },
  },
  bytes: {
    datatype: 'BYTES',
    raw: rawStrings(STRINGS),
    count: STRINGS.length,
    contents: { bytes_contents: STRINGS.map((s) => Buffer.from(s, 'utf8')) },
  },
};
const NAMES = Object.keys(CASES);

function inputs(replace: Record<string, Partial<Case> & { contents?: Record<string, unknown[]> }> = {}, typed = false) {
  return NAMES.map((t) => {
    const c = { ...CASES[t], ...replace[t] };
    const input = { name: `in_${t}`, datatype: c.datatype, shape: [1, c.count] };
    return typed ? { ...input, contents: c.contents } : input;
  });
}

describe('gRPC: every datatype, the message size limit', () => {
  let repo: TempRepository;
  let server: RunningServer;
  let client: InferenceClient;

  before(async () => {
    repo = await tempRepository({ dtypes: { onnx: 'dtypes_identity.onnx' }, slow: { onnx: 'slow_sum.onnx' } });
    server = await startTestServer({ repository: repo.dir, config: { body_limit_bytes: 64 * 1024 } });
    client = connect(server.grpcUrl!);
  });

  after(async () => {
    client?.close();
    await server?.close();
    await repo?.cleanup();
  });

  it('every datatype round-trips byte for byte through raw contents (BYTES length-prefixed, FP16 as bit patterns)', async () => {
    const res = await client.call<InferResponse>('ModelInfer', {
      model_name: 'dtypes',
      inputs: inputs(),
      raw_input_contents: NAMES.map((t) => CASES[t].raw),
    });
    for (const t of NAMES) {
      const out = rawOutput(res, `out_${t}`);
      assert.deepEqual([out.tensor.datatype, out.tensor.shape], [CASES[t].datatype, ['1', String(CASES[t].count)]], t);
      assert.deepEqual(out.raw, CASES[t].raw, t);
    }
  });

  it('every datatype but FP16 is accepted as typed contents, with the same answer', async () => {
    const typed = NAMES.filter((t) => t !== 'fp16');
    // fp16 has no typed field: it still goes raw, so this request mixes forms per input and must be refused...
    const mixed = await grpcError(
      client.call('ModelInfer', {
        model_name: 'dtypes',
        inputs: inputs({}, true),
        raw_input_contents: [CASES.fp16.raw],
      }),
    );
    assert.equal(mixed.code, status.INVALID_ARGUMENT);
    // ...so the typed request carries FP16 as an empty tensor [1, 0] (no elements, no contents needed).
    const request = { model_name: 'dtypes', inputs: inputs({ fp16: { count: 0 } }, true) };
    const res = await client.call<InferResponse>('ModelInfer', request);
    for (const t of typed) assert.deepEqual(rawOutput(res, `out_${t}`).raw, CASES[t].raw, t);
    assert.deepEqual(rawOutput(res, 'out_fp16').tensor.shape, ['1', '0']);
  });

  it('out-of-range typed integers, non-0/1 raw BOOL bytes and truncated raw BYTES are INVALID_ARGUMENT', async () => {
    const cases: Array<[object, RegExp]> = [
      [
        { inputs: inputs({ int8: { contents: { int_contents: [1, 200, 3, 4] } } }, true) },
        /input 'in_int8': element 1 is 200, outside the INT8 range \[-128, 127\]/,
      ],
      [
        {
          inputs: inputs(),
          raw_input_contents: NAMES.map((t) => (t === 'bool' ? Buffer.from([1, 2, 0]) : CASES[t].raw)),
        },
        /input 'in_bool': BOOL element 1 is the byte 2/,
      ],
      [
        {
          inputs: inputs(),
          raw_input_contents: NAMES.map((t) => (t === 'bytes' ? CASES.bytes.raw.subarray(0, 7) : CASES[t].raw)),
        },
        /input 'in_bytes': raw BYTES element 0 declares 5 bytes, but only 3 remain/,
      ],
      [
        { inputs: inputs({ fp16: { count: 3 } }), raw_input_contents: NAMES.map((t) => CASES[t].raw) },
        /input 'in_fp16': raw_input_contents holds 8 bytes, but FP16 shape \[1, 3\] needs 6/,
      ],
    ];
    for (const [request, message] of cases) {
      const err = await grpcError(client.call('ModelInfer', { model_name: 'dtypes', ...request }));
      assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
      assert.match(err.details, message);
    }
  });

  it('a message above body_limit_bytes is RESOURCE_EXHAUSTED; one below it is served', async () => {
    const big = new Float32Array(64 * 256).fill(0.5); // 64 KiB of data alone
    const err = await grpcError(
      client.call('ModelInfer', {
        model_name: 'slow',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [64, 256] }],
        raw_input_contents: [rawBytes(big)],
      }),
    );
    assert.equal(err.code, status.RESOURCE_EXHAUSTED);
    const ok = await client.call<InferResponse>('ModelInfer', {
      model_name: 'slow',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 256] }],
      raw_input_contents: [rawBytes(big.subarray(0, 512))],
    });
    assert.equal(asFloat32(rawOutput(ok, 'y').raw).length, 512);
  });
});

describe('gRPC: configuration and lifecycle', () => {
  it('grpc_port: 8001 by default, a free port when http_port is 0, -1 off; INFERD_GRPC_PORT sets it', async () => {
    const { configFromEnv } = await import('../../src/config/index.js');
    assert.equal(resolveServerConfig({}).grpcPort, 8001);
    assert.equal(resolveServerConfig({ http_port: 0 }).grpcPort, 0);
    assert.equal(resolveServerConfig({ http_port: 0, grpc_port: 9001 }).grpcPort, 9001);
    assert.equal(resolveServerConfig({ grpc_port: -1 }).grpcPort, -1);
    assert.equal(resolveServerConfig(configFromEnv({ INFERD_GRPC_PORT: '9100' })).grpcPort, 9100);
    assert.throws(() => resolveServerConfig({ grpc_port: -2 }), /grpc_port/);
  });

  it('grpc_port -1 starts no gRPC server', async () => {
    const repo = await tempRepository({ slow: { onnx: 'slow_sum.onnx' } });
    const server = await startTestServer({ repository: repo.dir, config: { grpc_port: -1 } });
    try {
      assert.equal(server.grpcUrl, undefined);
      assert.equal(server.grpcPort, undefined);
    } finally {
      await server.close();
      await repo.cleanup();
    }
  });

  // The drain timeout is far beyond the test's own timeout: were close() to wait for the idle client connection
  // (instead of only for the calls in flight), the test would time out rather than pass by the drain timer.
  it(
    'close() lets calls in flight finish, then refuses new ones, even with the client connected',
    { timeout: 120_000 },
    async () => {
      const repo = await tempRepository({ slow: { onnx: 'slow_sum.onnx' } });
      const server = await startTestServer({ repository: repo.dir, config: { shutdown_timeout_ms: 3_600_000 } });
      const client = connect(server.grpcUrl!);
      try {
        const row = (i: number) => Float32Array.from({ length: 256 }, (_, j) => Math.sin(i + j));
        const calls = Array.from({ length: 8 }, (_, i) =>
          client.call<InferResponse>('ModelInfer', {
            model_name: 'slow',
            id: String(i),
            inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256] }],
            raw_input_contents: [rawBytes(row(i))],
          }),
        );
        await Promise.race(calls);
        const closing = server.close();
        const answers = await Promise.all(calls);
        assert.deepEqual(
          answers.map((a) => a.id),
          ['0', '1', '2', '3', '4', '5', '6', '7'],
        );
        await closing;
        const refused = await grpcError(client.call('ServerLive'));
        assert.equal(refused.code, status.UNAVAILABLE);
      } finally {
        client.close();
        await server.close();
        await repo.cleanup();
      }
    },
  );
});
