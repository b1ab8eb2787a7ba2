/**
 * XGBoost JSON models as a ModelRuntime, evaluated in the same worker threads as ONNX models.
 *
 * Signature: input `input` FP32 [-1, features]. Classifiers answer `label` INT64 [-1] and `probabilities`
 * FP32 [-1, classes]; regressors answer `prediction` FP32 [-1] ([-1, targets] for multi-target). Every model also
 * offers `treeshap_output`: exact TreeSHAP contributions in margin space, FP32 [-1, features + 1]
 * ([-1, classes, features + 1] for multiclass), computed only when asked for.
 *
 * A Triton FIL-backend config may name the tensors differently (`input__0`, `output__0`); `names` maps them.
 */
import { readFile } from 'node:fs/promises';
import { EXPLANATION_OUTPUT } from '../../config/explanation-output.js';
import { codeOfClass, ModelLoadError } from '../../errors/index.js';
import type { Tensor } from '../../tensor/index.js';
import type { ModelRuntime, RuntimeLoadOptions, RuntimeSignature, RuntimeTensorInfo } from '../runtime.js';
import { loadXGBoostModel } from './load-xgboost-model.js';
import { predictContributions } from './predict-contributions.js';
import { predictMargin } from './predict-margin.js';
import { applyObjective } from './apply-objective.js';
import type { TreeEnsemble } from './tree-ensemble.js';

type Kind = 'label' | 'probabilities' | 'prediction' | 'explanation';

interface OutputPlan {
  readonly info: RuntimeTensorInfo;
  readonly kind: Kind;
}

function softmaxRows(margins: Float32Array, rows: number, classes: number): Float32Array {
  const out = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, margins[o + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[o + c] = Math.exp(margins[o + c] - max);
    for (let c = 0; c < classes; c++) out[o + c] /= sum;
  }
  return out;
}

export class XGBoostRuntime implements ModelRuntime {
  readonly signature: RuntimeSignature;

  private constructor(
    private readonly model: TreeEnsemble,
    private readonly outputs: ReadonlyMap<string, OutputPlan>,
    inputName: string,
  ) {
    const m = model.metadata;
    this.signature = {
      inputs: [{ name: inputName, datatype: 'FP32', shape: [-1, m.numFeatures] }],
      outputs: [...outputs.values()].map((o) => o.info),
      parameters: {
        objective: m.objective,
        num_features: String(m.numFeatures),
        num_classes: String(m.numClasses),
        num_trees: String(m.numTrees),
        ...(m.featureNames ? { feature_names: m.featureNames.join(',') } : {}),
      },
    };
  }

  static async load(options: RuntimeLoadOptions): Promise<XGBoostRuntime> {
    let model: TreeEnsemble;
    try {
      model = loadXGBoostModel(await readFile(options.modelPath, 'utf8'));
    } catch (err) {
      throw new ModelLoadError(`cannot load XGBoost model ${options.modelPath}: ${(err as Error).message}`, {
        cause: err,
        errorCode: err instanceof ModelLoadError ? codeOfClass('MODEL_LOAD_FAILED', err.errorCode) : undefined,
      });
    }
    const names = options.names ?? {};
    return new XGBoostRuntime(model, XGBoostRuntime.planOutputs(model, names), names.input ?? 'input');
  }

  private static planOutputs(
    model: TreeEnsemble,
    names: NonNullable<RuntimeLoadOptions['names']>,
  ): Map<string, OutputPlan> {
    const m = model.metadata;
    const f = m.numFeatures;
    const multi = m.numOutputs > 1;
    const plans: OutputPlan[] = [];
    const add = (kind: Kind, name: string, shape: number[], datatype: 'FP32' | 'INT64' = 'FP32') =>
      plans.push({ kind, info: { name, datatype, shape } });
    if (names.primaryOutput) {
      // Triton FIL: one output whose meaning follows predict_proba / output_class.
      const kind: Kind = names.primaryKind ?? 'prediction';
      const classes = Math.max(2, m.numClasses);
      const dims = names.primaryDims ?? (kind === 'probabilities' ? [classes] : []);
      add(kind, names.primaryOutput, [-1, ...dims], 'FP32');
    } else if (m.isClassifier) {
      add('label', 'label', [-1], 'INT64');
      add('probabilities', 'probabilities', [-1, Math.max(2, m.numClasses)]);
    } else {
      add('prediction', 'prediction', multi ? [-1, m.numOutputs] : [-1]);
    }
    add('explanation', EXPLANATION_OUTPUT, multi ? [-1, m.numOutputs, f + 1] : [-1, f + 1]);
    return new Map(plans.map((p) => [p.info.name, p]));
  }

  async run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    const x = inputs[0];
    const rows = x.shape[0];
    const cols = x.shape[1];
    const features = x.data as Float32Array;
    let margins: Float32Array | undefined;
    const getMargins = () => (margins ??= predictMargin(this.model, features, rows, cols));
    return outputNames.map((name) => {
      const plan = this.outputs.get(name)!;
      const shape = [rows, ...plan.info.shape.slice(1)];
      return { name, datatype: plan.info.datatype, shape, data: this.compute(plan, getMargins, features, rows) };
    });
  }

  private compute(plan: OutputPlan, margins: () => Float32Array, features: Float32Array, rows: number): Tensor['data'] {
    const m = this.model.metadata;
    switch (plan.kind) {
      case 'explanation':
        return predictContributions(this.model, features, rows, m.numFeatures);
      case 'prediction':
        return applyObjective(this.model, margins().slice(), rows); // applyObjective transforms in place
      case 'probabilities':
        return this.probabilities(margins(), rows);
      case 'label': {
        const p = this.probabilities(margins(), rows);
        const classes = p.length / rows;
        const labels = plan.info.datatype === 'INT64' ? new BigInt64Array(rows) : new Float32Array(rows);
        for (let r = 0; r < rows; r++) {
          let best = 0;
          for (let c = 1; c < classes; c++) if (p[r * classes + c] > p[r * classes + best]) best = c;
          labels[r] = plan.info.datatype === 'INT64' ? (BigInt(best) as never) : (best as never);
        }
        return labels;
      }
    }
  }

  /** Class probabilities [rows, classes]: [1 - p, p] for binary objectives, softmax of margins for multiclass. */
  private probabilities(margins: Float32Array, rows: number): Float32Array {
    const m = this.model.metadata;
    if (m.numOutputs > 1) return softmaxRows(margins, rows, m.numOutputs);
    const p = applyObjective(this.model, margins.slice(), rows);
    const out = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      out[r * 2] = 1 - p[r];
      out[r * 2 + 1] = p[r];
    }
    return out;
  }

  async close(): Promise<void> {}
}
