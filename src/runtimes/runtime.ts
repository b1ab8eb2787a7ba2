/**
 * The contract every model runtime (ONNX, tree ensembles) implements. Runtimes run inside worker threads
 * (see worker/), so everything crossing this interface must be structured-clonable.
 */
import type { GraphOptimizationLevel, RuntimeKind } from '../config/index.js';
import type { Datatype, Tensor } from '../tensor/index.js';

export interface RuntimeLoadOptions {
  readonly runtime: RuntimeKind;
  /** Absolute path of the artefact (model.onnx, model.json). */
  readonly modelPath: string;
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  readonly allowSpinning: boolean;
  /** Tensor names a config imposes on runtimes that choose their own (tree models under a Triton FIL config). */
  readonly names?:
    | {
        readonly input?: string | undefined;
        readonly primaryOutput?: string;
        readonly primaryKind?: 'label' | 'probabilities' | 'prediction';
        /** Declared dims of that output, without the batch dimension. */
        readonly primaryDims?: readonly number[];
      }
    | undefined;
}

/** An input or output as the artefact declares it. -1 marks a symbolic or unknown dimension. */
export interface RuntimeTensorInfo {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  /** Names of symbolic dimensions where the artefact has them (ONNX `dim_param`), else undefined entries. */
  readonly dimNames?: ReadonlyArray<string | undefined>;
}

export interface RuntimeSignature {
  readonly inputs: readonly RuntimeTensorInfo[];
  readonly outputs: readonly RuntimeTensorInfo[];
  /** Runtime-specific metadata shown in model metadata (for example feature names). */
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface ModelRuntime {
  readonly signature: RuntimeSignature;
  /** Runs one (possibly batched) call. Inputs are already validated against the signature. */
  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
  close(): Promise<void>;
}
