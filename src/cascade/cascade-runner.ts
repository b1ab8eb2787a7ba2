/**
 * One cascade: its cheap model answers a request, the confidence rule reads that answer, and a request with any
 * row below the threshold is answered by the expensive model instead. Both are called through the data plane
 * (versions, stages, queues, observers and cost accounting as any request), as path `cascade:<name>`. Counts per
 * path: requests, and rows labelled through feedback with how many the path got right.
 */
import type { CascadeConfig } from '../config/cascade-config.js';
import type { Tensor } from '../tensor/index.js';
import { confidenceRule, topTwo, type ConfidenceRule } from './confidence.js';
import { RecentAnswers } from './recent-answers.js';

/** A request as the cascade sees it (structurally the data plane's InferenceRequest). */
export interface CascadeRequest {
  readonly model: string;
  readonly version?: string | undefined;
  readonly id?: string | undefined;
  readonly inputs: readonly Tensor[];
  readonly outputs?:
    | ReadonlyArray<{ readonly name: string; readonly parameters?: Readonly<Record<string, unknown>> | undefined }>
    | undefined;
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
  readonly protocol?: string;
}

export interface CascadeResponse {
  readonly model: string;
  readonly version: string;
  readonly id?: string | undefined;
  readonly outputs: readonly Tensor[];
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
}

export type CascadePath = 'cheap' | 'expensive';

export interface PathCounts {
  requests: number;
  rows: number;
  labelled: number;
  correct: number;
}

/** The cascade's own version label: a cascade is declared, not trained. */
export const CASCADE_VERSION = '1';

export class CascadeRunner {
  readonly rule: ConfidenceRule;
  readonly counts: Record<CascadePath, PathCounts> = {
    cheap: { requests: 0, rows: 0, labelled: 0, correct: 0 },
    expensive: { requests: 0, rows: 0, labelled: 0, correct: 0 },
  };
  private readonly recent = new RecentAnswers<{ path: CascadePath; predicted: number[] }>(100_000);

  constructor(
    readonly name: string,
    readonly config: CascadeConfig,
    private readonly infer: (request: CascadeRequest) => Promise<CascadeResponse>,
  ) {
    this.rule = confidenceRule(config.rule);
  }

  /** The path each member call is counted under (cost, request metrics). */
  get memberPath(): string {
    return `cascade:${this.name}`;
  }

  async run(request: CascadeRequest): Promise<CascadeResponse> {
    const rows = request.inputs[0]?.shape[0] ?? 1;
    const copies = request.inputs.map((t) => ({ ...t, data: t.data.slice() })); // the first call moves the buffers
    const member = (model: string, inputs: readonly Tensor[], outputs: CascadeRequest['outputs']) =>
      this.infer({ ...request, model, version: undefined, inputs, outputs, protocol: this.memberPath });
    const cheap = await member(this.config.cheap, request.inputs, undefined);
    let scored = cheap.outputs;
    const intervalModel = this.config.rule.kind === 'interval_width' ? this.config.rule.intervalModel : undefined;
    if (intervalModel)
      scored = (
        await member(
          intervalModel,
          copies.map((t) => ({ ...t, data: t.data.slice() })),
          undefined,
        )
      ).outputs;
    const confidence = this.rule.confidence(scored, rows);
    const least = confidence.reduce((m, c) => Math.min(m, c), Infinity);
    const path: CascadePath = least >= this.rule.threshold ? 'cheap' : 'expensive';
    const answer = path === 'cheap' ? cheap : await member(this.config.expensive, copies, undefined);
    this.count(path, rows, request.id, answer.outputs);
    const wanted = request.outputs?.map((o) => o.name);
    return {
      model: this.name,
      version: CASCADE_VERSION,
      id: request.id,
      outputs: wanted ? answer.outputs.filter((o) => wanted.includes(o.name)) : answer.outputs,
      parameters: {
        ...answer.parameters,
        cascade_path: path,
        cascade_model: answer.model,
        cascade_model_version: answer.version,
        cascade_confidence: least,
      },
    };
  }

  /** A label for row `row` of request `id` (feedback): counted for the path that answered it. */
  label(id: string, row: number, target: number): void {
    const answered = this.recent.get(id);
    if (!answered || row >= answered.predicted.length) return;
    const counts = this.counts[answered.path];
    counts.labelled++;
    if (answered.predicted[row] === target) counts.correct++;
  }

  private count(path: CascadePath, rows: number, id: string | undefined, outputs: readonly Tensor[]): void {
    this.counts[path].requests++;
    this.counts[path].rows += rows;
    if (id !== undefined) this.recent.set(id, { path, predicted: predictedClasses(outputs, rows) });
  }
}

/** The class each row predicts: the `label` output when there is one, else the arg-max of `probabilities`. */
export function predictedClasses(outputs: readonly Tensor[], rows: number): number[] {
  const label = outputs.find((o) => o.name === 'label');
  if (label && !Array.isArray(label.data)) return Array.from(label.data as ArrayLike<number | bigint>, Number);
  const scores = outputs.find((o) => o.name === 'probabilities') ?? outputs[0];
  if (
    !scores ||
    Array.isArray(scores.data) ||
    scores.data instanceof BigInt64Array ||
    scores.data instanceof BigUint64Array
  )
    return [];
  const data = scores.data as ArrayLike<number>;
  const classes = rows > 0 ? data.length / rows : 0;
  return topTwo(data, rows).map(([first], r) => {
    if (classes === 1) return data[r] >= 0.5 ? 1 : 0;
    for (let c = 0; c < classes; c++) if (data[r * classes + c] === first) return c;
    return 0;
  });
}
