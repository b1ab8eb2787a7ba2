/**
 * The constant and rule fallbacks of a model: outputs built on the main thread without the model. A rule reads
 * the request's values, so `capture` copies the few values its expressions name before the inputs' buffers move
 * to a worker thread; `predict` evaluates the expressions per row afterwards.
 *
 * Variables of a rule: an input tensor by name (`amount`: the row's first element; `input[3]`: its fourth), or,
 * for a feature-backed model, a feature column by its feature name (`txn_count_7d`) once its input is built.
 */
import type { FallbackConfig, ModelConfig } from '../config/index.js';
import { compileExpression, type CompiledExpression } from '../lib/expression.js';
import { toBFloat16Bits, toFloat16Bits } from '../lib/float16.js';
import { allocate, type Datatype, type NumericArray, type Tensor, type TensorSpec } from '../tensor/index.js';

/** Values a rule fallback read from a request, row-major: rows × variables. NaN where a variable was not found. */
export interface CapturedValues {
  readonly rows: number;
  readonly values: Float64Array;
}

interface OutputPlan {
  readonly spec: TensorSpec;
  /** Shape of one row's values. */
  readonly rowDims: readonly number[];
  readonly constant?: readonly number[];
  /** One expression per element of a row. */
  readonly rule?: readonly CompiledExpression[];
}

function fixedSize(dims: readonly number[]): number | undefined {
  return dims.every((d) => d >= 0) ? dims.reduce((a, d) => a * d, 1) : undefined;
}

function fill(datatype: Datatype, values: ArrayLike<number>): NumericArray {
  const out = allocate(datatype as Exclude<Datatype, 'BYTES'>, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (out instanceof BigInt64Array || out instanceof BigUint64Array)
      out[i] = BigInt(Number.isFinite(v) ? Math.round(v) : 0);
    else if (datatype === 'FP16') out[i] = toFloat16Bits(v);
    else if (datatype === 'BF16') out[i] = toBFloat16Bits(v);
    else if (datatype === 'BOOL') out[i] = v !== 0 ? 1 : 0;
    else out[i] = v;
  }
  return out;
}

/** Constant and rule fallbacks of one model version (the model kind is served by the inference service). */
export class FallbackPredictor {
  private readonly outputs: readonly OutputPlan[];
  /** Every variable the rules read, in slot order; each rule maps its own refs onto these slots. */
  private readonly slots: { name: string; index: number | undefined }[] = [];
  /** Per output, per expression: the slots its variables read. */
  private readonly slotOf = new Map<OutputPlan, number[][]>();
  private readonly batching: boolean;

  constructor(
    private readonly config: ModelConfig,
    fallback: FallbackConfig,
  ) {
    this.batching = config.maxBatchSize > 0;
    const p = fallback.predictor;
    if (p.kind === 'model') throw new Error('FallbackPredictor serves constant and rule fallbacks');
    const entries = p.kind === 'constant' ? Object.keys(p.outputs) : Object.keys(p.rules);
    this.outputs = entries.map((key) => {
      const spec = key === '' ? config.outputs[0] : config.outputs.find((o) => o.name === key)!;
      if (p.kind === 'constant') {
        const values = p.outputs[key];
        return {
          spec,
          rowDims: fixedSize(spec.dims) === values.length ? spec.dims : [values.length],
          constant: values,
        };
      }
      const rule = p.rules[key].map((e) => compileExpression(e));
      const plan = { spec, rowDims: fixedSize(spec.dims) === rule.length ? spec.dims : [rule.length], rule };
      this.slotOf.set(
        plan,
        rule.map((e) => e.refs.map((r) => this.slot(r.name, r.index))),
      );
      return plan;
    });
  }

  /** True when the fallback reads request values (a rule), so `capture` must run before inputs move. */
  get readsInputs(): boolean {
    return this.slots.length > 0;
  }

  /** Output names it answers. */
  get outputNames(): string[] {
    return this.outputs.map((o) => o.spec.name);
  }

  /**
   * Copies the values the rules read from `tensors` (the request's, or the model's built inputs), over what an
   * earlier capture found. Variables not present stay as they were (NaN at first).
   */
  capture(tensors: readonly Tensor[], previous?: CapturedValues): CapturedValues {
    const rows = previous?.rows ?? this.rowsOf(tensors);
    const n = this.slots.length;
    const values = previous?.values ?? new Float64Array(rows * n).fill(Number.NaN);
    this.slots.forEach((slot, k) => {
      const found = this.locate(tensors, slot.name, slot.index, rows);
      if (!found) return;
      const { data, rowSize, index } = found;
      for (let r = 0; r < rows; r++) values[r * n + k] = Number(data[r * rowSize + index]);
    });
    return { rows, values };
  }

  /** Rows of a request, from its first tensor (1 for models that do not batch). */
  rowsOf(tensors: readonly Tensor[]): number {
    if (!this.batching) return 1;
    const t = tensors.find((x) => x.shape.length > 0);
    return t ? t.shape[0] : 1;
  }

  /**
   * The fallback's outputs for `rows` rows (`wanted`: the requested names, or all it has). Undefined when it cannot
   * answer: an output it does not give was asked for, or a rule reads a value the request did not carry.
   */
  predict(rows: number, captured: CapturedValues | undefined, wanted?: readonly string[]): Tensor[] | undefined {
    const plans = wanted?.length ? wanted.map((w) => this.outputs.find((o) => o.spec.name === w)) : this.outputs;
    if (plans.some((p) => p === undefined)) return undefined;
    const out: Tensor[] = [];
    for (const plan of plans as OutputPlan[]) {
      const perRow = plan.constant ? plan.constant.length : plan.rule!.length;
      const raw = new Float64Array(rows * perRow);
      if (plan.constant) for (let r = 0; r < rows; r++) raw.set(plan.constant, r * perRow);
      else if (!this.evaluate(plan, rows, captured, raw)) return undefined;
      const shape = this.batching ? [rows, ...plan.rowDims] : [...plan.rowDims];
      out.push({ name: plan.spec.name, datatype: plan.spec.datatype, shape, data: fill(plan.spec.datatype, raw) });
    }
    return out;
  }

  private evaluate(plan: OutputPlan, rows: number, captured: CapturedValues | undefined, raw: Float64Array): boolean {
    const exprs = plan.rule!;
    const n = this.slots.length;
    for (let e = 0; e < exprs.length; e++) {
      const slots = this.slotOf.get(plan)![e];
      const args = new Float64Array(slots.length);
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < slots.length; k++) {
          const v = captured && captured.rows === rows ? captured.values[r * n + slots[k]] : Number.NaN;
          if (Number.isNaN(v)) return false;
          args[k] = v;
        }
        raw[r * exprs.length + e] = exprs[e].evaluate(args);
      }
    }
    return true;
  }

  private slot(name: string, index: number | undefined): number {
    const at = this.slots.findIndex((s) => s.name === name && s.index === index);
    return at >= 0 ? at : this.slots.push({ name, index }) - 1;
  }

  /** Where a variable's values are in `tensors`: a tensor by name, or a feature column of the built input. */
  private locate(tensors: readonly Tensor[], name: string, index: number | undefined, rows: number) {
    const numeric = (t: Tensor | undefined) =>
      t && t.datatype !== 'BYTES' && t.data.length % Math.max(1, rows) === 0 ? t : undefined;
    const direct = numeric(tensors.find((t) => t.name === name));
    if (direct) {
      const rowSize = direct.data.length / Math.max(1, rows);
      const at = index ?? 0;
      return at < rowSize ? { data: direct.data as NumericArray, rowSize, index: at } : undefined;
    }
    const features = this.config.features;
    if (!features || index !== undefined) return undefined;
    const column = features.columns.findIndex((c) => c.feature === name);
    const built = numeric(tensors.find((t) => t.name === (features.input ?? this.config.inputs[0]?.name)));
    if (column < 0 || !built) return undefined;
    const rowSize = built.data.length / Math.max(1, rows);
    return column < rowSize ? { data: built.data as NumericArray, rowSize, index: column } : undefined;
  }
}
