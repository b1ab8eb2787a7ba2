/**
 * The binary tensor extension end to end: requests built from a served model's metadata, each input sent as JSON
 * or as raw bytes, asking for some outputs as binary data (per output or for all), with hostile twists; and the
 * check every answer is held to: a 200 is framed exactly (a JSON header of Inference-Header-Content-Length bytes,
 * then each binary output's bytes, sizes adding up to the body), anything else is a 4xx with a JSON error.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { byteSize, tensorDataFromJson, tensorDataToRaw, type Datatype } from '../../src/tensor/index.js';
import { elementOf, hostileValue, toJsonText } from './arbitraries.js';

/** What the fuzz needs of GET /v2/models/{model}. */
export interface ModelSignature {
  readonly name: string;
  readonly inputs: ReadonlyArray<{ name: string; datatype: Datatype; shape: number[] }>;
  readonly outputs: ReadonlyArray<{ name: string; datatype: Datatype; shape: number[] }>;
}

export interface BinaryCase {
  readonly path: string;
  readonly body: Buffer;
  /** Inference-Header-Content-Length, when some input travels as raw bytes. */
  readonly headerLength?: string | undefined;
}

/** A concrete shape for a declared one: -1 dimensions become 1..3 (the same batch for every input). */
function concreteShape(shape: readonly number[], batch: number, fill: number): number[] {
  return shape.map((d, i) => (d >= 0 ? d : i === 0 ? batch : fill));
}

/** Output parameters: binary or not, the whole-request switch, or a hostile value where a boolean belongs. */
const outputParameters = fc.oneof(
  { arbitrary: fc.boolean().map((b) => ({ binary_data: b })), weight: 6 },
  { arbitrary: fc.constant({}), weight: 2 },
  { arbitrary: hostileValue.map((v) => ({ binary_data: v })), weight: 1 },
  { arbitrary: fc.record({ binary_data: fc.boolean(), classification: fc.constantFrom(1, 2, 0, -1, 1e9) }), weight: 1 },
);

/** Requests for one served model, well-formed but for the hostile twists chosen by the generator. */
export function binaryOutputCase(model: ModelSignature): fc.Arbitrary<BinaryCase> {
  const inputs = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([batch, fill]) =>
    fc.tuple(
      ...model.inputs.map((i) => {
        const shape = concreteShape(i.shape, batch, fill);
        const n = shape.reduce((a, b) => a * b, 1);
        return fc.tuple(
          fc.constant({ ...i, shape }),
          fc.array(elementOf(i.datatype), { minLength: n, maxLength: n }),
          fc.boolean(),
        );
      }),
    ),
  );
  const outputs = fc.oneof(
    fc.constant(undefined),
    fc
      .subarray([...model.outputs.map((o) => o.name), 'no_such_output'])
      .chain((names) => fc.tuple(...names.map((name) => outputParameters.map((parameters) => ({ name, parameters }))))),
  );
  const parameters = fc.oneof(
    fc.constant(undefined),
    fc.constant({ binary_data_output: true }),
    fc.constant({ binary_data_output: false }),
    hostileValue.map((v) => ({ binary_data_output: v })),
  );
  return fc.tuple(inputs, outputs, parameters).map(([ins, outs, params]) => {
    const raw: Buffer[] = [];
    const jsonInputs = ins.map(([meta, data, asBinary]) => {
      if (!asBinary || meta.datatype === 'BF16')
        return { name: meta.name, datatype: meta.datatype, shape: meta.shape, data };
      const bytes = Buffer.from(
        tensorDataToRaw(tensorDataFromJson(data, meta.datatype, meta.shape, data.length, 'fuzz')),
      );
      raw.push(bytes);
      return {
        name: meta.name,
        datatype: meta.datatype,
        shape: meta.shape,
        parameters: { binary_data_size: bytes.length },
      };
    });
    const header = Buffer.from(
      toJsonText({ inputs: jsonInputs, ...(outs ? { outputs: outs } : {}), ...(params ? { parameters: params } : {}) }),
    );
    return {
      path: `/v2/models/${model.name}/infer`,
      body: Buffer.concat([header, ...raw]),
      headerLength: raw.length > 0 ? String(header.length) : undefined,
    };
  });
}

interface OutputHeader {
  name: string;
  datatype: Datatype;
  shape: number[];
  data?: unknown[];
  parameters?: { binary_data_size?: number };
}

/**
 * Throws unless a 200 answer is framed exactly: with Inference-Header-Content-Length, the JSON header is that many
 * bytes and the binary outputs' sizes add up to the rest, each the size its shape and datatype imply; without it,
 * the body is JSON whose outputs carry as many elements as their shapes say.
 */
export function assertFramedResponse(body: Buffer, headerLength: string | null): void {
  const jsonLength = headerLength === null ? body.length : Number(headerLength);
  assert.ok(
    Number.isSafeInteger(jsonLength) && jsonLength >= 0 && jsonLength <= body.length,
    `Inference-Header-Content-Length ${headerLength} for a ${body.length}-byte body`,
  );
  const header = JSON.parse(body.subarray(0, jsonLength).toString('utf8')) as { outputs?: OutputHeader[] };
  assert.ok(Array.isArray(header.outputs), 'the answer has an outputs list');
  let binaryBytes = 0;
  for (const o of header.outputs) {
    const count = o.shape.reduce((a, b) => a * b, 1);
    const size = o.parameters?.binary_data_size;
    if (size !== undefined) {
      assert.equal(o.data, undefined, `output '${o.name}' carries both data and binary_data_size`);
      if (o.datatype !== 'BYTES')
        assert.equal(
          size,
          count * (byteSize(o.datatype) ?? Number.NaN),
          `output '${o.name}' (${o.datatype} [${o.shape.join(',')}]) declares ${size} bytes`,
        );
      binaryBytes += size;
    } else {
      assert.ok(Array.isArray(o.data), `output '${o.name}' has neither data nor binary_data_size`);
      assert.equal(
        o.data.flat(Infinity).length,
        count,
        `output '${o.name}' has ${o.data.flat(Infinity).length} elements for shape [${o.shape.join(',')}]`,
      );
    }
  }
  assert.equal(
    jsonLength + binaryBytes,
    body.length,
    `header ${jsonLength} bytes + binary outputs ${binaryBytes} bytes != body ${body.length} bytes`,
  );
  if (headerLength === null)
    assert.equal(binaryBytes, 0, 'binary outputs were sent without Inference-Header-Content-Length');
}
