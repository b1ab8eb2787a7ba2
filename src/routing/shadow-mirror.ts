/**
 * Shadow traffic: a sampled share of requests is also sent to another version after the caller has been
 * answered, and the two answers are compared. The caller's answer and latency never depend on the shadow: its
 * inputs are copied before the caller's request runs (running it moves the buffers to a worker), the shadow
 * starts on a later event-loop turn, its failures are only counted, and at most `maxInFlight` run at once
 * (beyond that, samples are dropped and counted).
 */
import type { ModelVersion } from '../registry/model-version.js';
import type { Tensor } from '../tensor/index.js';
import type { Logger } from '../telemetry/logger.js';
import {
  compareAnswers,
  EMPTY_AGREEMENT,
  type Agreement,
  type AgreementSummary,
  type PairedSummary,
} from './agreement.js';
import { predictedRows, type RowPrediction } from '../prediction/predicted-rows.js';

/** The parts of a request a shadow needs. */
export interface MirroredRequest {
  readonly model: string;
  readonly id?: string | undefined;
  readonly inputs: readonly Tensor[];
  readonly outputs?: ReadonlyArray<{ readonly name: string }> | undefined;
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
}

/** Runs a request on a given version (the inference service's own path) and resolves with its outputs. */
export type ShadowRunner = (request: MirroredRequest, version: ModelVersion) => Promise<readonly Tensor[]>;

/** One shadow comparison; no agreement means the shadow request failed. */
interface AgreementSample {
  readonly at: number;
  readonly agreement?: Agreement;
}

/** Totals per model and shadow version, for the metrics. */
export interface ShadowTotals {
  readonly model: string;
  readonly version: number;
  readonly mirrored: number;
  readonly dropped: number;
  readonly errors: number;
  readonly rows: number;
  readonly agreeing: number;
  readonly absDiffSum: number;
}

type MutableTotals = { -readonly [K in keyof ShadowTotals]: ShadowTotals[K] };

export interface ShadowMirrorOptions {
  readonly logger: Logger;
  readonly clock?: (() => number) | undefined;
  readonly random?: (() => number) | undefined;
  readonly maxInFlight?: number | undefined;
  /** Agreement samples kept per shadow version. */
  readonly maxSamples?: number;
}

const keyOf = (model: string, version: number) => `${model}\u0000${version}`;

export class ShadowMirror {
  private inFlight = 0;
  private idle: Array<() => void> = [];
  private readonly samples = new Map<string, AgreementSample[]>();
  private readonly totals = new Map<string, MutableTotals>();
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(private readonly options: ShadowMirrorOptions) {
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Whether this request is sampled for shadowing; a sample beyond the in-flight limit is dropped and counted. */
  sample(model: string, version: number, rate: number): boolean {
    if (rate <= 0 || this.random() >= rate) return false;
    if (this.inFlight < (this.options.maxInFlight ?? 16)) return true;
    this.totalsOf(model, version).dropped++;
    return false;
  }

  /** A copy of the request whose buffers stay here when the caller's request transfers its own. */
  copy(request: MirroredRequest): MirroredRequest {
    return { ...request, inputs: request.inputs.map((t) => ({ ...t, data: t.data.slice() })) };
  }

  /** Runs the copy on `target` on a later turn and records how its answer agrees with the caller's. */
  mirror(target: ModelVersion, copy: MirroredRequest, answered: readonly Tensor[], runner: ShadowRunner): void {
    const primary = predictedRows(answered, copy.outputs?.[0]?.name);
    this.inFlight++;
    setImmediate(() => {
      void this.runOne(target, copy, primary, runner).finally(() => this.done());
    });
  }

  /** Resolves once no shadow request is running (at once when none is). */
  settled(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  private done(): void {
    this.inFlight--;
    if (this.inFlight > 0) return;
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }

  /** Comparisons with a version's shadow answers since `since`. */
  summary(model: string, version: number, since: number): AgreementSummary {
    const picked = (this.samples.get(keyOf(model, version)) ?? []).filter((s) => s.at >= since);
    return picked.reduce<AgreementSummary>((acc, { agreement: a }) => {
      if (!a) return { ...acc, errors: acc.errors + 1 };
      return {
        kind: a.kind,
        compared: acc.compared + 1,
        rows: acc.rows + a.rows,
        agreeing: acc.agreeing + a.agreeing,
        absDiffSum: acc.absDiffSum + a.absDiffSum,
        errors: acc.errors,
      };
    }, EMPTY_AGREEMENT);
  }

  /** The rows compared on any of `versions` (as the mirror's target) since `since`, per row. */
  pairs(model: string, versions: readonly number[], since: number): PairedSummary {
    let kind: PairedSummary['kind'];
    const absDiffs: number[] = [];
    let errors = 0;
    for (const version of versions) {
      for (const s of this.samples.get(keyOf(model, version)) ?? []) {
        if (s.at < since) continue;
        if (!s.agreement) errors++;
        else {
          kind = s.agreement.kind;
          absDiffs.push(...s.agreement.absDiffs);
        }
      }
    }
    return { kind, absDiffs, errors };
  }

  /** Lifetime totals per shadow version. */
  allTotals(): ShadowTotals[] {
    return [...this.totals.values()].map((t) => ({ ...t }));
  }

  private async runOne(
    target: ModelVersion,
    copy: MirroredRequest,
    primary: RowPrediction | undefined,
    runner: ShadowRunner,
  ): Promise<void> {
    const totals = this.totalsOf(copy.model, target.id.version);
    totals.mirrored++;
    try {
      const outputs = await runner(copy, target);
      const shadow = predictedRows(outputs, copy.outputs?.[0]?.name);
      const agreement = primary && shadow ? compareAnswers(primary, shadow) : undefined;
      if (agreement) this.record(copy.model, target.id.version, agreement, totals);
    } catch (err) {
      totals.errors++;
      this.push(copy.model, target.id.version, { at: this.clock() });
      this.options.logger.debug(
        { model: copy.model, version: target.id.version, err: (err as Error).message },
        'shadow request failed',
      );
    }
  }

  private record(model: string, version: number, agreement: Agreement, totals: MutableTotals): void {
    totals.rows += agreement.rows;
    totals.agreeing += agreement.agreeing;
    totals.absDiffSum += agreement.absDiffSum;
    this.push(model, version, { at: this.clock(), agreement });
  }

  private push(model: string, version: number, sample: AgreementSample): void {
    const key = keyOf(model, version);
    const list = this.samples.get(key) ?? [];
    list.push(sample);
    const max = this.options.maxSamples ?? 20_000;
    this.samples.set(key, list.length > max * 1.25 ? list.slice(-max) : list);
  }

  private totalsOf(model: string, version: number): MutableTotals {
    const key = keyOf(model, version);
    let t = this.totals.get(key);
    if (!t)
      this.totals.set(
        key,
        (t = { model, version, mirrored: 0, dropped: 0, errors: 0, rows: 0, agreeing: 0, absDiffSum: 0 }),
      );
    return t;
  }
}
