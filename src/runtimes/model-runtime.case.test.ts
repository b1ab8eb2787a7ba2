/**
 * The cases every ModelRuntime passes (ONNX in onnx/, XGBoost in tree/, each beside it), checked against reference
 * outputs written by the tool that made the artefact (scripts/fixtures/). A file of its own runs them with a
 * loader for its runtime and a reference.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Tensor } from '../tensor/index.js';
import type { ModelRuntime, RuntimeLoadOptions } from './runtime.js';

/** The project root, from dist/src/runtimes/ (compiled) three levels up. */
export const PROJECT_ROOT = new URL('../../../', import.meta.url);

/** Load options for an artefact under the project root, with the server's defaults. */
export function loadOptions(runtime: RuntimeLoadOptions['runtime'], artefact: string): RuntimeLoadOptions {
  return {
    runtime,
    modelPath: new URL(artefact, PROJECT_ROOT).pathname,
    intraOpThreads: 1,
    interOpThreads: 1,
    graphOptimizationLevel: 'all',
    allowSpinning: false,
  };
}

/** Reads a reference file under the project root. */
export function readReference<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, PROJECT_ROOT), 'utf8')) as T;
}

export interface RuntimeReference {
  /** Input rows (null: a missing value, NaN). */
  readonly rows: ReadonlyArray<ReadonlyArray<number | null>>;
  /** A numeric output and its expected values per row. */
  readonly output: string;
  readonly expected: ReadonlyArray<number | readonly number[]>;
  /** Largest difference allowed from the reference (float32 arithmetic in another library). */
  readonly tolerance: number;
}

const flat = (values: ReadonlyArray<number | readonly number[]>): number[] =>
  values.flatMap((v) => (typeof v === 'number' ? [v] : [...v]));

function assertClose(
  actual: ArrayLike<number | bigint>,
  expected: readonly number[],
  tolerance: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    assert.ok(
      Math.abs(a - expected[i]) <= tolerance,
      `${what}: value ${i} is ${a}, expected ${expected[i]} within ${tolerance}`,
    );
  }
}

/** Registers the shared ModelRuntime cases under `describe(name)`. */
export function modelRuntimeCases(name: string, load: () => Promise<ModelRuntime>, ref: RuntimeReference): void {
  describe(`ModelRuntime: ${name}`, () => {
    let runtime: ModelRuntime;
    const width = ref.rows[0].length;
    before(async () => {
      runtime = await load();
    });
    after(() => runtime?.close());

    /** The FP32 input tensor of reference rows `from` to `to` (exclusive). */
    const input = (from: number, to: number): Tensor => {
      const rows = ref.rows.slice(from, to);
      return {
        name: runtime.signature.inputs[0].name,
        datatype: 'FP32',
        shape: [rows.length, width],
        data: Float32Array.from(rows.flat(), (v) => v ?? NaN),
      };
    };
    const expectedRows = (from: number, to: number) => flat(ref.expected.slice(from, to));

    it('declares one FP32 input of the reference width with a batch dimension, and uniquely named outputs', () => {
      const { inputs, outputs } = runtime.signature;
      assert.equal(inputs.length, 1);
      assert.equal(inputs[0].datatype, 'FP32');
      assert.deepEqual(inputs[0].shape, [-1, width]);
      const names = outputs.map((o) => o.name);
      assert.ok(names.includes(ref.output), `outputs ${names.join(', ')} lack ${ref.output}`);
      assert.equal(new Set(names).size, names.length, `repeated output names: ${names.join(', ')}`);
    });

    it('answers every output asked for, in the order asked, one row per input row, typed as declared', async () => {
      const names = runtime.signature.outputs.map((o) => o.name).reverse();
      const out = await runtime.run([input(0, 5)], names);
      assert.deepEqual(
        out.map((t) => t.name),
        names,
      );
      for (const t of out) {
        const declared = runtime.signature.outputs.find((o) => o.name === t.name)!;
        assert.equal(t.datatype, declared.datatype, t.name);
        assert.equal(t.shape[0], 5, `${t.name} has shape [${t.shape.join(', ')}]`);
        assert.equal(
          t.data.length,
          t.shape.reduce((a, b) => a * b, 1),
          `${t.name}: data and shape disagree`,
        );
        declared.shape
          .slice(1)
          .forEach((d, i) => d === -1 || assert.equal(t.shape[i + 1], d, `${t.name} dimension ${i + 1}`));
      }
    });

    it('answers only the outputs asked for', async () => {
      const out = await runtime.run([input(0, 2)], [ref.output]);
      assert.deepEqual(
        out.map((t) => t.name),
        [ref.output],
      );
    });

    it('matches the reference outputs for every reference row, in one batch', async () => {
      const [out] = await runtime.run([input(0, ref.rows.length)], [ref.output]);
      assertClose(out.data as ArrayLike<number>, expectedRows(0, ref.rows.length), ref.tolerance, ref.output);
    });

    it('answers a row alone as within a batch, and concurrent runs each for their own rows', async () => {
      const alone = await Promise.all(ref.rows.map((_, i) => runtime.run([input(i, i + 1)], [ref.output])));
      alone.forEach(([t], i) =>
        assertClose(
          t.data as ArrayLike<number>,
          expectedRows(i, i + 1),
          ref.tolerance,
          `${ref.output} of row ${i} alone`,
        ),
      );
    });
  });
}
