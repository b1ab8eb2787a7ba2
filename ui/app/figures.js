// Figures derived from snapshots, pure: sums over versions, percentiles from cumulative bucket counts (the same
// arithmetic as src/dashboard/histogram-quantile.ts and Prometheus's histogram_quantile), rates between snapshots.

/** Outcomes that are the server's failures (a caller's own mistakes are not). */
export const ERROR_OUTCOMES = ['error', 'timeout', 'rejected'];

export function histogramQuantile(q, bounds, cumulative) {
  const total = cumulative[bounds.length] ?? 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (cumulative[i] < rank) continue;
    const lower = i === 0 ? 0 : bounds[i - 1];
    const below = i === 0 ? 0 : cumulative[i - 1];
    const inBucket = cumulative[i] - below;
    return inBucket > 0 ? lower + ((bounds[i] - lower) * (rank - below)) / inBucket : bounds[i];
  }
  return bounds[bounds.length - 1];
}

export const requestsOf = (v) => Object.values(v.outcomes).reduce((n, x) => n + x, 0);
export const errorsOf = (v) => ERROR_OUTCOMES.reduce((n, o) => n + (v.outcomes[o] ?? 0), 0);
export const successOf = (v) => v.outcomes.success ?? 0;

/** A model's totals over its versions. */
export function modelTotals(m) {
  const t = { requests: 0, errors: 0, success: 0, inflight: 0, shed: 0, sum: 0, count: 0, buckets: null };
  for (const v of m.versions) {
    t.requests += requestsOf(v);
    t.errors += errorsOf(v);
    t.success += successOf(v);
    t.inflight += v.inflight;
    t.shed += v.shed;
    t.sum += v.latency.sum;
    t.count += v.latency.count;
    t.buckets = t.buckets ? t.buckets.map((b, i) => b + v.latency.buckets[i]) : [...v.latency.buckets];
  }
  t.buckets ??= [];
  // Requests refused before a version was chosen count for the model.
  const refused = { outcomes: m.unversioned ?? {} };
  t.requests += requestsOf(refused);
  t.errors += errorsOf(refused);
  return t;
}

/** Bucket counts of `now` minus those of `before` (a version that restarted counts from zero). */
export function bucketDelta(now, before) {
  if (!before || before.length !== now.length) return now;
  const d = now.map((b, i) => b - before[i]);
  return d.some((x) => x < 0) ? now : d;
}

export function availabilitySli(m) {
  return m.slo?.find((s) => s.kind === 'availability') ?? null;
}

export function latencySli(m) {
  return m.slo?.find((s) => s.kind === 'latency') ?? null;
}

// Formatting: what the page shows. Counts in full; ratios and times with three significant digits.
export const fmtInt = (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
export const fmtPct = (r, digits = 2) => (r === null || r === undefined ? '–' : `${(r * 100).toFixed(digits)}%`);
export const fmtNum = (n) =>
  n === null || n === undefined || !Number.isFinite(n) ? '–' : Number(n.toPrecision(3)).toString();
export const fmtMs = (s) => (s === null || s === undefined ? '–' : `${fmtNum(s * 1000)} ms`);
export const fmtRate = (n) => (n === null || n === undefined ? '–' : `${n >= 100 ? Math.round(n) : fmtNum(n)}/s`);
