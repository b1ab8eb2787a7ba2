/**
 * Model repositories built in temp folders: config auto-completion, Triton config.pbtxt, non-batching models,
 * version policies, every V2 datatype through an identity model, multiple inputs and outputs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import {
  assertClose,
  errorMessage,
  get,
  inferBody,
  outputNamed,
  postJson,
  readJsonFixture,
  startTestServer,
  tempRepository,
  type HttpResult,
  type TempRepository,
} from '../helpers/server.js';

const digits = readJsonFixture<{ inputs: number[][]; logits: number[][]; labels: number[] }>(
  'test/fixtures/reference/digits.json',
);
const DIGITS_ONNX = 'models/digits/1/model.onnx';

const PAIR_PBTXT = `# Triton config for two_in_two_out
name: "pair"
platform: "onnxruntime_onnx"
max_batch_size: 4
version_policy: { specific { versions: [ 1, 2 ] } }
input [
  {
    name: "a"
    data_type: TYPE_FP32
    dims: [ 3 ]
  },
  {
    name: "b"
    data_type: TYPE_FP32
    dims: [ 3 ]
  }
]
output [
  {
    name: "sum"
    data_type: TYPE_FP32
    dims: [ 3 ]
  },
  {
    name: "product"
    data_type: TYPE_FP32
    dims: [ 3 ]
  }
]
dynamic_batching {
  max_queue_delay_microseconds: 100
}
instance_group [
  {
    count: 2
    kind: KIND_CPU
  }
]
parameters {
  key: "owner"
  value: { string_value: "integration-tests" }
}
`;

interface Metadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: Array<{ name: string; datatype: string; shape: number[] }>;
  outputs: Array<{ name: string; datatype: string; shape: number[] }>;
  parameters?: Record<string, string>;
}

/** A JSON input tensor. */
function tensor(name: string, datatype: string, shape: number[], data: unknown[]) {
  return { name, datatype, shape, data };
}

function assertStatus(r: HttpResult, status: number): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
}

describe('model repository', () => {
  let repo: TempRepository;
  let server: RunningServer;
  const url = (path: string) => `${server.url}${path}`;
  const metadata = async (model: string): Promise<Metadata> => {
    const r = await get(url(`/v2/models/${model}`));
    assertStatus(r, 200);
    return r.json as Metadata;
  };
  const config = async (model: string): Promise<Record<string, unknown>> => {
    const r = await get(url(`/v2/models/${model}/config`));
    assertStatus(r, 200);
    return r.json as Record<string, unknown>;
  };

  before(async () => {
    const allVersions = [1, 2, 3];
    repo = await tempRepository({
      plain: { onnx: DIGITS_ONNX },
      pair: { onnx: 'two_in_two_out.onnx', versions: allVersions, config: { file: 'config.pbtxt', text: PAIR_PBTXT } },
      scalar_scale: { onnx: 'scalar_scale.onnx' },
      batch_last: { onnx: 'batch_last.onnx' },
      batch_last_batched: { onnx: 'batch_last.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
      v_default: { onnx: DIGITS_ONNX, versions: allVersions },
      v_all: {
        onnx: DIGITS_ONNX,
        versions: allVersions,
        config: { file: 'config.yaml', text: 'version_policy: all\n' },
      },
      v_specific: {
        onnx: DIGITS_ONNX,
        versions: allVersions,
        config: { file: 'config.yaml', text: 'version_policy: { specific: [1, 3] }\n' },
      },
      v_latest2: {
        onnx: DIGITS_ONNX,
        versions: allVersions,
        config: { file: 'config.yaml', text: 'version_policy: { latest: 2 }\n' },
      },
      dtypes: { onnx: 'dtypes_identity.onnx' },
      bf16: { onnx: 'bf16_identity.onnx' },
    });
    server = await startTestServer({ repository: repo.dir });
  });

  after(async () => {
    await server?.close();
    await repo?.cleanup();
  });

  describe('config-less model (auto-complete)', () => {
    it('metadata is completed from the ONNX file', async () => {
      const m = await metadata('plain');
      assert.equal(m.name, 'plain');
      assert.deepEqual(m.versions, ['1']);
      assert.equal(m.platform, 'onnxruntime_onnx');
      assert.deepEqual(m.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 64] }]);
      assert.deepEqual(m.outputs, [
        { name: 'logits', datatype: 'FP32', shape: [-1, 10] },
        { name: 'label', datatype: 'INT64', shape: [-1] },
      ]);
    });

    it('/config reports max_batch_size 64 and the dims without the batch dimension', async () => {
      const c = await config('plain');
      assert.equal(c.max_batch_size, 64);
      assert.deepEqual(c.input, [{ name: 'input', data_type: 'TYPE_FP32', dims: [64] }]);
      assert.deepEqual(c.version_policy, { latest: { num_versions: 1 } });
    });

    it('serves the reference answers', async () => {
      const rows = digits.inputs.slice(0, 8);
      const body = inferBody(
        await postJson(url('/v2/models/plain/infer'), { inputs: [tensor('input', 'FP32', [8, 64], rows.flat())] }),
      );
      assert.deepEqual(outputNamed(body, 'label').data, digits.labels.slice(0, 8));
      assertClose(outputNamed(body, 'logits').data, digits.logits.slice(0, 8).flat(), 1e-4, 'logits');
    });
  });

  describe('Triton config.pbtxt model (two_in_two_out)', () => {
    it('metadata and config follow the pbtxt', async () => {
      const m = await metadata('pair');
      assert.deepEqual(m.versions, ['1', '2']);
      assert.equal(m.platform, 'onnxruntime_onnx');
      assert.deepEqual(m.inputs, [
        { name: 'a', datatype: 'FP32', shape: [-1, 3] },
        { name: 'b', datatype: 'FP32', shape: [-1, 3] },
      ]);
      assert.deepEqual(m.outputs, [
        { name: 'sum', datatype: 'FP32', shape: [-1, 3] },
        { name: 'product', datatype: 'FP32', shape: [-1, 3] },
      ]);
      assert.equal(m.parameters?.owner, 'integration-tests');
      const c = await config('pair');
      assert.equal(c.max_batch_size, 4);
      assert.deepEqual(c.version_policy, { specific: { versions: [1, 2] } });
      assert.deepEqual(c.instance_group, [{ count: 2, kind: 'KIND_CPU' }]);
      assert.deepEqual(c.parameters, { owner: { string_value: 'integration-tests' } });
      assert.equal((c.dynamic_batching as Record<string, unknown>).max_queue_delay_microseconds, 100);
    });

    it('version 3 on disk is not served: the policy names 1 and 2', async () => {
      assertStatus(await get(url('/v2/models/pair/versions/3/ready')), 400);
      const r = await postJson(url('/v2/models/pair/versions/3/infer'), {
        inputs: [tensor('a', 'FP32', [1, 3], [1, 2, 3]), tensor('b', 'FP32', [1, 3], [1, 2, 3])],
      });
      assertStatus(r, 404);
      const body = inferBody(
        await postJson(url('/v2/models/pair/infer'), {
          inputs: [tensor('a', 'FP32', [1, 3], [1, 2, 3]), tensor('b', 'FP32', [1, 3], [1, 2, 3])],
        }),
      );
      assert.equal(body.model_version, '2');
    });

    it('computes sum and product for a batch of 4 (the limit)', async () => {
      const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
      const b = [0.5, -1, 2, 3, 0, -2, 1.25, 4, -0.5, 2, 2, 2];
      const body = inferBody(
        await postJson(url('/v2/models/pair/infer'), {
          inputs: [tensor('a', 'FP32', [4, 3], a), tensor('b', 'FP32', [4, 3], b)],
        }),
      );
      assert.deepEqual(
        body.outputs.map((o) => o.name),
        ['sum', 'product'],
      );
      assert.deepEqual(outputNamed(body, 'sum'), {
        name: 'sum',
        datatype: 'FP32',
        shape: [4, 3],
        data: a.map((x, i) => x + b[i]),
      });
      assert.deepEqual(outputNamed(body, 'product'), {
        name: 'product',
        datatype: 'FP32',
        shape: [4, 3],
        data: a.map((x, i) => x * b[i]),
      });
    });

    it('a batch of 5 is rejected: the batch limit is 4', async () => {
      const five = Array.from({ length: 15 }, (_, i) => i);
      const r = await postJson(url('/v2/models/pair/infer'), {
        inputs: [tensor('a', 'FP32', [5, 3], five), tensor('b', 'FP32', [5, 3], five)],
      });
      assertStatus(r, 400);
      assert.match(errorMessage(r), /max_batch_size/);
      assert.match(errorMessage(r), /\b4\b/);
    });

    it('returns only the requested output', async () => {
      const body = inferBody(
        await postJson(url('/v2/models/pair/infer'), {
          inputs: [tensor('a', 'FP32', [1, 3], [2, 3, 4]), tensor('b', 'FP32', [1, 3], [5, 6, 7])],
          outputs: [{ name: 'product' }],
        }),
      );
      assert.deepEqual(body.outputs, [{ name: 'product', datatype: 'FP32', shape: [1, 3], data: [10, 18, 28] }]);
    });

    it('concurrent requests of mixed batch sizes (2 instances, dynamic batching) each get their own answer', async () => {
      const requests = Array.from({ length: 24 }, (_, i) => {
        const rows = (i % 4) + 1;
        const a = Array.from({ length: rows * 3 }, (_, j) => i * 100 + j);
        const b = Array.from({ length: rows * 3 }, (_, j) => j - i);
        return { rows, a, b };
      });
      const results = await Promise.all(
        requests.map(({ rows, a, b }, i) =>
          postJson(url('/v2/models/pair/versions/1/infer'), {
            id: `r${i}`,
            inputs: [tensor('a', 'FP32', [rows, 3], a), tensor('b', 'FP32', [rows, 3], b)],
          }),
        ),
      );
      results.forEach((r, i) => {
        const { rows, a, b } = requests[i];
        const body = inferBody(r);
        assert.equal(body.id, `r${i}`);
        assert.equal(body.model_version, '1');
        assert.deepEqual(outputNamed(body, 'sum').shape, [rows, 3]);
        assert.deepEqual(
          outputNamed(body, 'sum').data,
          a.map((x, j) => x + b[j]),
        );
        assert.deepEqual(
          outputNamed(body, 'product').data,
          a.map((x, j) => x * b[j]),
        );
      });
    });
  });

  describe('non-batching models', () => {
    it('scalar_scale (rank-0 input) is served as non-batching', async () => {
      const m = await metadata('scalar_scale');
      assert.deepEqual(m.inputs, [
        { name: 'x', datatype: 'FP32', shape: [-1, 4] },
        { name: 'scale', datatype: 'FP32', shape: [] },
      ]);
      assert.deepEqual(m.outputs, [{ name: 'y', datatype: 'FP32', shape: [-1, 4] }]);
      const c = await config('scalar_scale');
      assert.equal(c.max_batch_size, 0);
      assert.deepEqual(c.input, [
        { name: 'x', data_type: 'TYPE_FP32', dims: [-1, 4] },
        { name: 'scale', data_type: 'TYPE_FP32', dims: [] },
      ]);
      assert.equal(c.dynamic_batching, undefined);
    });

    it('scalar_scale computes y = x * scale', async () => {
      const x = [1, 2, 3, 4, -1, 0.5, 8, 10];
      const body = inferBody(
        await postJson(url('/v2/models/scalar_scale/infer'), {
          inputs: [tensor('x', 'FP32', [2, 4], x), tensor('scale', 'FP32', [], [2.5])],
        }),
      );
      assert.deepEqual(body.outputs, [{ name: 'y', datatype: 'FP32', shape: [2, 4], data: x.map((v) => v * 2.5) }]);
    });

    it('scalar_scale rejects a scale with a rank', async () => {
      const r = await postJson(url('/v2/models/scalar_scale/infer'), {
        inputs: [tensor('x', 'FP32', [1, 4], [1, 2, 3, 4]), tensor('scale', 'FP32', [1], [2])],
      });
      assertStatus(r, 400);
      assert.match(errorMessage(r), /'scale'/);
    });

    it('batch_last ([4, batch]) is served as non-batching and computes y = 2x + 1', async () => {
      const m = await metadata('batch_last');
      assert.deepEqual(m.inputs, [{ name: 'x', datatype: 'FP32', shape: [4, -1] }]);
      assert.deepEqual(m.outputs, [{ name: 'y', datatype: 'FP32', shape: [4, -1] }]);
      assert.equal((await config('batch_last')).max_batch_size, 0);
      const x = Array.from({ length: 12 }, (_, i) => i - 5.5);
      const body = inferBody(
        await postJson(url('/v2/models/batch_last/infer'), { inputs: [tensor('x', 'FP32', [4, 3], x)] }),
      );
      assert.deepEqual(body.outputs, [{ name: 'y', datatype: 'FP32', shape: [4, 3], data: x.map((v) => 2 * v + 1) }]);
      const wrong = await postJson(url('/v2/models/batch_last/infer'), { inputs: [tensor('x', 'FP32', [3, 4], x)] });
      assertStatus(wrong, 400);
    });

    it('batch_last with max_batch_size 8 in its config fails to load, saying why', async () => {
      const r = await postJson(url('/v2/models/batch_last_batched/infer'), {
        inputs: [tensor('x', 'FP32', [4, 1], [1, 2, 3, 4])],
      });
      assertStatus(r, 503);
      assert.match(errorMessage(r), /max_batch_size/);
    });
  });

  describe('version policies (digits copied into versions 1, 2, 3)', () => {
    const cases: Array<{ model: string; served: number[] }> = [
      { model: 'v_default', served: [3] },
      { model: 'v_all', served: [1, 2, 3] },
      { model: 'v_specific', served: [1, 3] },
      { model: 'v_latest2', served: [2, 3] },
    ];
    for (const { model, served } of cases) {
      it(`${model} serves versions ${served.join(', ')}`, async () => {
        const m = await metadata(model);
        assert.deepEqual(m.versions, served.map(String));
        const request = { inputs: [tensor('input', 'FP32', [1, 64], digits.inputs[2])] };
        for (const v of [1, 2, 3]) {
          const ready = await get(url(`/v2/models/${model}/versions/${v}/ready`));
          const r = await postJson(url(`/v2/models/${model}/versions/${v}/infer`), request);
          if (served.includes(v)) {
            assertStatus(ready, 200);
            const body = inferBody(r);
            assert.equal(body.model_version, String(v));
            assert.deepEqual(outputNamed(body, 'label').data, [digits.labels[2]]);
          } else {
            assertStatus(ready, 400);
            assertStatus(r, 404);
            assert.match(errorMessage(r), new RegExp(`version ${v}`));
          }
        }
        const latest = inferBody(await postJson(url(`/v2/models/${model}/infer`), request));
        assert.equal(latest.model_version, String(Math.max(...served)));
      });
    }
  });

  describe('every datatype through dtypes_identity', () => {
    const values: Record<string, { datatype: string; data: unknown[] }> = {
      bool: { datatype: 'BOOL', data: [true, false, true] },
      int8: { datatype: 'INT8', data: [-128, -1, 0, 1, 127] },
      int16: { datatype: 'INT16', data: [-32768, -1, 0, 32767] },
      int32: { datatype: 'INT32', data: [-2147483648, 0, 7, 2147483647] },
      int64: { datatype: 'INT64', data: [-9007199254740991, -1, 0, 4294967296, 9007199254740991] },
      uint8: { datatype: 'UINT8', data: [0, 1, 128, 255] },
      uint16: { datatype: 'UINT16', data: [0, 65535] },
      uint32: { datatype: 'UINT32', data: [0, 2147483648, 4294967295] },
      uint64: { datatype: 'UINT64', data: [0, 1, 4294967296, 9007199254740991] },
      fp16: { datatype: 'FP16', data: [0.5, 1.5, 65504, -2, 0, 2 ** -14, 2 ** -24, -0.333251953125] },
      fp32: { datatype: 'FP32', data: [1.5, Math.fround(-0.1), 3.4028234663852886e38, Math.fround(1e-45), 0] },
      fp64: { datatype: 'FP64', data: [0.1, -1e308, Number.MIN_VALUE, Math.PI, 1 / 3] },
      bytes: { datatype: 'BYTES', data: ['hello', 'héllo', '', '日本語 🙂', 'a"b\\c'] },
    };
    const names = Object.keys(values);

    /** A request with every input; `replace` overrides some of them. */
    function dtypesRequest(replace: Record<string, { datatype: string; data: unknown[] }> = {}) {
      return {
        inputs: names.map((t) => {
          const v = replace[t] ?? values[t];
          return tensor(`in_${t}`, v.datatype, [1, v.data.length], v.data);
        }),
      };
    }

    it('metadata lists all 13 datatypes', async () => {
      const m = await metadata('dtypes');
      assert.deepEqual(
        m.inputs.map((i) => [i.name, i.datatype, i.shape]),
        names.map((t) => [`in_${t}`, values[t].datatype, [-1, -1]]),
      );
      assert.deepEqual(
        m.outputs.map((o) => [o.name, o.datatype]),
        names.map((t) => [`out_${t}`, values[t].datatype]),
      );
    });

    it('every datatype round-trips exactly', async () => {
      const body = inferBody(await postJson(url('/v2/models/dtypes/infer'), dtypesRequest()));
      assert.equal(body.outputs.length, names.length);
      for (const t of names) {
        const out = outputNamed(body, `out_${t}`);
        assert.deepEqual(
          out,
          { name: `out_${t}`, datatype: values[t].datatype, shape: [1, values[t].data.length], data: values[t].data },
          t,
        );
      }
    });

    it('unicode BYTES survive byte for byte (raw response text)', async () => {
      const r = await postJson(url('/v2/models/dtypes/infer'), {
        ...dtypesRequest(),
        outputs: [{ name: 'out_bytes' }],
      });
      assertStatus(r, 200);
      assert.ok(r.text.includes('"héllo"') || r.text.includes('"h\\u00e9llo"'), r.text);
      assert.deepEqual(inferBody(r).outputs[0].data, values.bytes.data);
    });

    it('64-bit integers given as strings accept and return the extremes exactly (raw response text)', async () => {
      const r = await postJson(
        url('/v2/models/dtypes/infer'),
        dtypesRequest({
          int64: { datatype: 'INT64', data: ['-9223372036854775808', '9223372036854775807'] },
          uint64: { datatype: 'UINT64', data: ['18446744073709551615', '9007199254740993'] },
        }),
      );
      assertStatus(r, 200);
      assert.match(
        r.text,
        /"out_int64","datatype":"INT64","shape":\[1,2\],"data":\[-9223372036854775808,9223372036854775807\]/,
      );
      assert.match(
        r.text,
        /"out_uint64","datatype":"UINT64","shape":\[1,2\],"data":\[18446744073709551615,9007199254740993\]/,
      );
    });

    it('integers outside their datatype range are rejected with 400', async () => {
      const cases: Array<[string, { datatype: string; data: unknown[] }]> = [
        ['int8', { datatype: 'INT8', data: [128] }],
        ['uint8', { datatype: 'UINT8', data: [-1] }],
        ['uint32', { datatype: 'UINT32', data: [4294967296] }],
        ['uint64', { datatype: 'UINT64', data: [-1] }],
        ['uint64', { datatype: 'UINT64', data: ['18446744073709551616'] }],
        ['int64', { datatype: 'INT64', data: ['9223372036854775808'] }],
        ['int64', { datatype: 'INT64', data: [1e20] }],
      ];
      const failures: string[] = [];
      for (const [t, v] of cases) {
        const r = await postJson(url('/v2/models/dtypes/infer'), dtypesRequest({ [t]: v }));
        if (r.status !== 400 || !new RegExp(`in_${t}`).test(errorMessage(r))) {
          failures.push(`${v.datatype} ${JSON.stringify(v.data)} → ${r.status} ${r.text.slice(0, 160)}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    it('a bool given as a number, or a number given as a bool, is rejected with 400', async () => {
      const asNumber = await postJson(
        url('/v2/models/dtypes/infer'),
        dtypesRequest({ bool: { datatype: 'BOOL', data: [1] } }),
      );
      assertStatus(asNumber, 400);
      assert.match(errorMessage(asNumber), /in_bool/);
      const asBool = await postJson(
        url('/v2/models/dtypes/infer'),
        dtypesRequest({ int32: { datatype: 'INT32', data: [true] } }),
      );
      assertStatus(asBool, 400);
      assert.match(errorMessage(asBool), /in_int32/);
    });

    it('BF16 data for an FP32 input is rejected with a clear 400', async () => {
      const r = await postJson(
        url('/v2/models/dtypes/infer'),
        dtypesRequest({ fp32: { datatype: 'BF16', data: [1.5, 2] } }),
      );
      assertStatus(r, 400);
      assert.match(errorMessage(r), /'in_fp32'/);
      assert.match(errorMessage(r), /BF16/);
      assert.match(errorMessage(r), /FP32/);
    });

    it('a BF16 model (which onnxruntime-node cannot load) is unavailable with a reason, not a crash', async () => {
      const r = await postJson(url('/v2/models/bf16/infer'), { inputs: [tensor('in_bf16', 'BF16', [1, 2], [1, 2])] });
      assertStatus(r, 503);
      assert.match(errorMessage(r), /'bf16'/);
      const index = await postJson(url('/v2/repository/index'), {});
      const entry = (index.json as Array<{ name: string; state: string; reason?: string }>).find(
        (e) => e.name === 'bf16',
      );
      assert.equal(entry?.state, 'UNAVAILABLE');
      assert.ok(entry?.reason && entry.reason.length > 0);
    });
  });
});
