/**
 * ONNX models through onnxruntime-node. One OnnxRuntime owns one InferenceSession; it lives in a worker thread
 * because session.run() computes on the calling JS thread.
 */
import ort from 'onnxruntime-node';
import { InvalidArgumentError, ModelLoadError, UnsupportedError } from '../../errors/index.js';
import type { Tensor, TensorData } from '../../tensor/index.js';
import type { ModelRuntime, RuntimeLoadOptions, RuntimeSignature, RuntimeTensorInfo } from '../runtime.js';
import { float16Bits, showFloat16Bits } from './float16-bits.js';
import { datatypeFromOrt, ortTypeOf } from './onnx-types.js';

function describe(meta: readonly ort.InferenceSession.ValueMetadata[], what: string): RuntimeTensorInfo[] {
  return meta.map((m) => {
    if (!m.isTensor)
      throw new UnsupportedError(`${what} '${m.name}' is not a tensor (sequences and maps are not supported)`);
    const datatype = datatypeFromOrt(m.type);
    if (!datatype) throw new UnsupportedError(`${what} '${m.name}' has type ${m.type}, which inferd cannot serve`);
    return {
      name: m.name,
      datatype,
      shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
      dimNames: m.shape.map((d) => (typeof d === 'string' ? d : undefined)),
    };
  });
}

/** Errors onnxruntime raises for inputs it cannot accept are the caller's mistake, not the server's. */
function classifyRunError(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/invalid (dimensions|rank|argument)|Got invalid|shape mismatch|Unexpected input data type/i.test(message)) {
    return new InvalidArgumentError(`the model rejected the input: ${message}`);
  }
  return err instanceof Error ? err : new Error(message);
}

export class OnnxRuntime implements ModelRuntime {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly signature: RuntimeSignature,
  ) {}

  static async load(options: RuntimeLoadOptions): Promise<OnnxRuntime> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(options.modelPath, {
        intraOpNumThreads: options.intraOpThreads,
        interOpNumThreads: options.interOpThreads,
        graphOptimizationLevel: options.graphOptimizationLevel,
        executionMode: 'sequential',
        // A run's error comes back to us as an exception and is logged (structured) there; onnxruntime's own copy on
        // stderr would let every bad input write an unstructured line: only fatal ones are printed.
        logSeverityLevel: 4,
        // Idle pool threads otherwise busy-wait between runs, burning a core the main thread needs.
        extra: {
          session: {
            intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' },
            inter_op: { allow_spinning: options.allowSpinning ? '1' : '0' },
          },
        },
      });
    } catch (err) {
      throw new ModelLoadError(`onnxruntime could not load ${options.modelPath}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const signature = {
      inputs: describe(session.inputMetadata, 'input'),
      outputs: describe(session.outputMetadata, 'output'),
    };
    return new OnnxRuntime(session, signature);
  }

  async run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of inputs) {
      const type = ortTypeOf(t.datatype);
      if (!type) throw new UnsupportedError(`datatype ${t.datatype} cannot be passed to onnxruntime`);
      // The constructor's overloads are keyed on literal types; the pair (type, data) is consistent by construction.
      const tensor = new ort.Tensor(type as 'float32', t.data as Float32Array, t.shape as number[]);
      feeds[t.name] = type === 'float16' ? showFloat16Bits(tensor, t.data as Uint16Array) : tensor;
    }
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds, outputNames as string[]);
    } catch (err) {
      throw classifyRunError(err);
    }
    return outputNames.map((name) => {
      const r = results[name];
      const datatype = this.signature.outputs.find((o) => o.name === name)?.datatype ?? 'FP32';
      const data = datatype === 'FP16' ? float16Bits(r.data as Uint16Array) : (r.data as TensorData);
      return { name, datatype, shape: [...r.dims], data };
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
