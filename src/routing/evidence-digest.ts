/**
 * Canary evidence as counts that add up: what one replica saw of a rollout's step, in a form several replicas'
 * contributions can be summed into, and turned back into the Evidence the checks (verdict.ts) read.
 *
 * Outcomes, predicted classes, shadow comparisons and paired-row errors are exact counts. Lists of numbers
 * (latencies, regression predictions, paired-row differences) are kept as a sketch: counts per logarithmic bucket
 * of relative width 2·ACCURACY (as DDSketch does), zero and non-finite values counted apart. A value read back is
 * its bucket's representative, within ACCURACY (0.5%) of the value recorded, so a quantile read from the sum is
 * within 0.5% of the exact one; a sketch has a bounded size whatever the traffic.
 * Pure: no I/O, no clock, no node:* imports.
 */
import type { AgreementSummary, PairedSummary } from './agreement.js';
import type { Evidence } from './verdict.js';
import type { WindowSummary } from './version-window.js';

/** Relative accuracy of a value read back from a sketch. */
export const ACCURACY = 0.005;
const GAMMA = (1 + ACCURACY) / (1 - ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Magnitudes below this are counted as zero. */
const MIN_MAGNITUDE = 1e-9;

/** Bucket counts: `pos`/`neg` map a bucket index to a count; JSON-safe (plain objects and numbers). */
export interface Sketch {
  readonly pos: Readonly<Record<string, number>>;
  readonly neg: Readonly<Record<string, number>>;
  readonly zero: number;
  /** NaN and ±Infinity (a non-finite answer), read back as NaN. */
  readonly nonFinite: number;
}

export interface WindowDigest {
  readonly requests: number;
  readonly errors: number;
  /** Latencies of the requests answered. */
  readonly latency: Sketch;
  /** Predicted class → count, as [class, count] pairs. */
  readonly classes: ReadonlyArray<readonly [number, number]>;
  readonly values: Sketch;
  readonly predictionKind?: 'class' | 'value' | undefined;
}

export interface PairedDigest {
  readonly kind?: 'class' | 'value' | undefined;
  readonly diffs: Sketch;
  readonly errors: number;
}

/** One replica's evidence for one rollout step (or the sum of several). */
export interface EvidenceDigest {
  readonly stable: WindowDigest;
  readonly candidate: WindowDigest;
  readonly paired?: PairedDigest | undefined;
  readonly shadow?: AgreementSummary | undefined;
}

export const EMPTY_SKETCH: Sketch = Object.freeze({ pos: {}, neg: {}, zero: 0, nonFinite: 0 });

function bucketOf(magnitude: number): number {
  return Math.ceil(Math.log(magnitude) / LOG_GAMMA);
}

function representative(bucket: number): number {
  return (2 * GAMMA ** bucket) / (GAMMA + 1);
}

/** The sketch of a list of numbers. */
export function sketchOf(values: readonly number[]): Sketch {
  const pos: Record<string, number> = {};
  const neg: Record<string, number> = {};
  let zero = 0;
  let nonFinite = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) nonFinite++;
    else if (Math.abs(v) < MIN_MAGNITUDE) zero++;
    else {
      const side = v > 0 ? pos : neg;
      const b = bucketOf(Math.abs(v));
      side[b] = (side[b] ?? 0) + 1;
    }
  }
  return { pos, neg, zero, nonFinite };
}

function addCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}

export function mergeSketches(a: Sketch, b: Sketch): Sketch {
  return {
    pos: addCounts(a.pos, b.pos),
    neg: addCounts(a.neg, b.neg),
    zero: a.zero + b.zero,
    nonFinite: a.nonFinite + b.nonFinite,
  };
}

/** How many values a sketch holds. */
export function sketchCount(s: Sketch): number {
  const sum = (r: Readonly<Record<string, number>>) => Object.values(r).reduce((x, n) => x + n, 0);
  return sum(s.pos) + sum(s.neg) + s.zero + s.nonFinite;
}

/** The values back, each as its bucket's representative, ascending (non-finite ones last, as NaN). */
export function sketchValues(s: Sketch): number[] {
  const out: number[] = [];
  const push = (v: number, n: number) => {
    for (let i = 0; i < n; i++) out.push(v);
  };
  const byBucket = (r: Readonly<Record<string, number>>) =>
    Object.entries(r)
      .map(([k, n]) => [Number(k), n] as const)
      .sort((x, y) => x[0] - y[0]);
  for (const [b, n] of byBucket(s.neg).reverse()) push(-representative(b), n);
  push(0, s.zero);
  for (const [b, n] of byBucket(s.pos)) push(representative(b), n);
  push(NaN, s.nonFinite);
  return out;
}

export function digestWindow(w: WindowSummary): WindowDigest {
  return {
    requests: w.requests,
    errors: w.errors,
    latency: sketchOf(w.latenciesMs),
    classes: [...w.classes.entries()],
    values: sketchOf(w.values),
    predictionKind: w.predictionKind,
  };
}

export function digestPairs(p: PairedSummary): PairedDigest {
  return { kind: p.kind, diffs: sketchOf(p.absDiffs), errors: p.errors };
}

/** The digest of one replica's evidence. */
export function digestEvidence(e: Evidence): EvidenceDigest {
  return {
    stable: digestWindow(e.stable),
    candidate: digestWindow(e.candidate),
    paired: e.paired && digestPairs(e.paired),
    shadow: e.shadow,
  };
}

function mergeWindows(a: WindowDigest, b: WindowDigest): WindowDigest {
  const classes = new Map(a.classes);
  for (const [c, n] of b.classes) classes.set(c, (classes.get(c) ?? 0) + n);
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    latency: mergeSketches(a.latency, b.latency),
    classes: [...classes.entries()],
    values: mergeSketches(a.values, b.values),
    predictionKind: b.predictionKind ?? a.predictionKind,
  };
}

function mergeShadow(a: AgreementSummary | undefined, b: AgreementSummary | undefined): AgreementSummary | undefined {
  if (!a || !b) return a ?? b;
  const kind = b.kind ?? a.kind;
  return {
    ...(kind && { kind }),
    compared: a.compared + b.compared,
    rows: a.rows + b.rows,
    agreeing: a.agreeing + b.agreeing,
    absDiffSum: a.absDiffSum + b.absDiffSum,
    errors: a.errors + b.errors,
  };
}

function mergePairs(a: PairedDigest | undefined, b: PairedDigest | undefined): PairedDigest | undefined {
  if (!a || !b) return a ?? b;
  return { kind: b.kind ?? a.kind, diffs: mergeSketches(a.diffs, b.diffs), errors: a.errors + b.errors };
}

/** The sum of two digests (associative and commutative). */
export function mergeEvidence(a: EvidenceDigest, b: EvidenceDigest): EvidenceDigest {
  return {
    stable: mergeWindows(a.stable, b.stable),
    candidate: mergeWindows(a.candidate, b.candidate),
    paired: mergePairs(a.paired, b.paired),
    shadow: mergeShadow(a.shadow, b.shadow),
  };
}

function windowOfDigest(d: WindowDigest): WindowSummary {
  return {
    requests: d.requests,
    errors: d.errors,
    latenciesMs: sketchValues(d.latency),
    classes: new Map(d.classes),
    values: sketchValues(d.values),
    predictionKind: d.predictionKind,
  };
}

/** What the checks read, from a (summed) digest. */
export function evidenceOf(d: EvidenceDigest): Evidence {
  return {
    stable: windowOfDigest(d.stable),
    candidate: windowOfDigest(d.candidate),
    paired: d.paired && { kind: d.paired.kind, absDiffs: sketchValues(d.paired.diffs), errors: d.paired.errors },
    shadow: d.shadow,
  };
}
