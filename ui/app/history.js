// The last 15 minutes of figures, kept in the browser: one point per snapshot, per model and overall, derived
// from the difference with the previous snapshot (rates, error ratios, latency percentiles of the interval).
import { bucketDelta, errorsOf, histogramQuantile, modelTotals, requestsOf } from './figures.js';

export const KEEP_MS = 15 * 60 * 1000;

function point(at, m, before, bounds, seconds) {
  const t = modelTotals(m);
  const prev = before ? modelTotals(before) : null;
  const requests = prev ? Math.max(0, t.requests - prev.requests) : 0;
  const errors = prev ? Math.max(0, t.errors - prev.errors) : 0;
  const delta = prev ? bucketDelta(t.buckets, prev.buckets) : null;
  const q = (x) => (delta ? histogramQuantile(x, bounds, delta) : null);
  const versions = {};
  for (const v of m.versions) {
    const pv = before?.versions.find((x) => x.version === v.version);
    const n = pv ? Math.max(0, requestsOf(v) - requestsOf(pv)) : 0;
    const e = pv ? Math.max(0, errorsOf(v) - errorsOf(pv)) : 0;
    versions[v.version] = { rps: seconds ? n / seconds : null, errorRatio: n ? e / n : null, share: v.share };
  }
  return {
    at,
    rps: prev && seconds ? requests / seconds : null,
    errorRatio: requests ? errors / requests : null,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    inflight: t.inflight,
    shedRate: prev && seconds ? Math.max(0, t.shed - prev.shed) / seconds : null,
    versions,
    delta,
  };
}

export class History {
  constructor(bounds) {
    this.bounds = bounds;
    this.points = new Map(); // model → points, oldest first
    this.total = [];
    this.previous = null;
  }

  add(snapshot) {
    const before = this.previous;
    const seconds = before ? (snapshot.at - before.at) / 1000 : 0;
    const cutoff = snapshot.at - KEEP_MS;
    let rps = null;
    let errors = 0;
    let requests = 0;
    let buckets = null;
    for (const m of snapshot.models) {
      const prev = before?.models.find((x) => x.name === m.name) ?? null;
      const p = point(snapshot.at, m, prev, this.bounds, seconds);
      let list = this.points.get(m.name);
      if (!list) this.points.set(m.name, (list = []));
      list.push(p);
      while (list.length && list[0].at < cutoff) list.shift();
      if (p.rps !== null) rps = (rps ?? 0) + p.rps;
      if (p.delta) buckets = buckets ? buckets.map((b, i) => b + p.delta[i]) : [...p.delta];
      if (p.errorRatio !== null) {
        const n = p.rps * seconds;
        requests += n;
        errors += p.errorRatio * n;
      }
    }
    const q = (x) => (buckets ? histogramQuantile(x, this.bounds, buckets) : null);
    this.total.push({
      at: snapshot.at,
      rps,
      errorRatio: requests ? errors / requests : null,
      p50: q(0.5),
      p95: q(0.95),
      p99: q(0.99),
      inflight: snapshot.process.inflight,
      shedRate: this.sumOf(snapshot, 'shedRate'),
    });
    while (this.total.length && this.total[0].at < cutoff) this.total.shift();
    this.previous = snapshot;
  }

  /** The sum of one field of every model's newest point. */
  sumOf(snapshot, field) {
    let total = null;
    for (const m of snapshot.models) {
      const v = this.of(m.name).at(-1)?.[field];
      if (v !== null && v !== undefined) total = (total ?? 0) + v;
    }
    return total;
  }

  of(model) {
    return this.points.get(model) ?? [];
  }
}
