/**
 * The enrichment step of a feature-backed model: entity ids in `parameters.entities` and request-time tensors in,
 * the model's FP32 [N, columns] input out, columns in training order (config.yaml `features.columns`). View
 * features come from the feature layer within the request's feature budget; every value is validated (type,
 * range, null) per its spec. The response parameters say how fresh the values were and which fell back.
 * A request that already carries the built input tensor is served as it is (all features in the request).
 */
import { InvalidArgumentError, UnavailableError } from '../../errors/index.js';
import { Deadline } from '../budget.js';
import type { FeatureService } from '../feature-service.js';
import { checkFeatureValue, resolveFeatureValue } from '../feature-validation.js';
import type { RowLookup } from '../view-reader.js';
import type { NumericArray, Tensor } from '../../tensor/index.js';
import type { FeaturePlan, PlannedColumn } from './feature-plan.js';
import { entityRows, readEntities, viewKeys, type EntityColumns } from './request-entities.js';
import type { InferenceRequest, Parameters } from '../../inference/types.js';

export interface Enriched {
  readonly request: InferenceRequest;
  /** Response parameters describing the features used; undefined when nothing was fetched. */
  readonly parameters?: Parameters | undefined;
}

/** Collects what the response reports: oldest value per view, fallbacks per feature, reasons per view. */
class FeatureReport {
  readonly ageSeconds: Record<string, number | null> = {};
  readonly fallbacks = new Set<string>();
  readonly reasons: Record<string, Set<string>> = {};
  readonly servedStale = new Set<string>();

  toParameters(): Parameters {
    const out: Record<string, unknown> = { feature_freshness_seconds: this.ageSeconds };
    if (this.fallbacks.size) out.feature_fallbacks = [...this.fallbacks];
    const reasons = Object.entries(this.reasons).map(([v, r]) => [v, [...r]]);
    if (reasons.length) out.feature_fallback_reasons = Object.fromEntries(reasons);
    if (this.servedStale.size) out.feature_served_stale = [...this.servedStale];
    return out;
  }
}

function requestColumn(
  plan: FeaturePlan,
  byName: Map<string, Tensor>,
  spec: PlannedColumn['spec'],
  rows: number,
): ArrayLike<number | bigint> {
  const t = byName.get(spec.name);
  if (!t)
    throw new InvalidArgumentError(
      `request-time feature '${spec.name}' is missing: send it as an input tensor '${spec.name}' (${spec.type}, shape [${rows}])`,
    );
  const ok = (t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1)) && t.shape[0] === rows;
  if (!ok)
    throw new InvalidArgumentError(
      `request-time feature '${spec.name}' has shape [${t.shape.join(', ')}]; send [${rows}] or [${rows}, 1] (one value per row of ${plan.inputName})`,
    );
  if (t.datatype === 'BYTES' || t.datatype === 'FP16' || t.datatype === 'BF16') {
    throw new InvalidArgumentError(
      `request-time feature '${spec.name}' has datatype ${t.datatype}; send numbers (FP32, FP64, integers or BOOL)`,
    );
  }
  return t.data as NumericArray;
}

function rowCount(plan: FeaturePlan, entities: EntityColumns | undefined, byName: Map<string, Tensor>): number {
  if (entities) return entityRows(entities);
  if (plan.views.length) {
    const names = [...new Set(plan.views.flatMap((v) => v.entities.map((e) => e.name)))];
    throw new InvalidArgumentError(
      `model takes features of ${plan.views.map((v) => `'${v.name}'`).join(', ')}: send the entity ids as parameters {"entities": {${names.map((n) => `"${n}": [...]`).join(', ')}}} (one per row), or the full '${plan.inputName}' tensor`,
    );
  }
  const first = plan.mapping.request.map((s) => byName.get(s.name)).find((t) => t);
  if (!first)
    throw new InvalidArgumentError(
      `send the request-time features ${plan.mapping.request.map((s) => `'${s.name}'`).join(', ')} as input tensors, or the full '${plan.inputName}' tensor`,
    );
  return first.shape[0];
}

async function fetchViews(
  plan: FeaturePlan,
  features: FeatureService | undefined,
  entities: EntityColumns | undefined,
): Promise<Map<string, RowLookup[]>> {
  if (!plan.views.length) return new Map();
  if (!features)
    throw new UnavailableError(
      'this model reads feature views, but the server has no features config (features_config)',
    );
  const deadline = new Deadline(plan.budgetMs);
  const looked = await Promise.all(plan.views.map((v) => features.lookup(v.name, viewKeys(v, entities!), deadline)));
  return new Map(plan.views.map((v, i) => [v.name, looked[i]]));
}

function recordFreshness(report: FeatureReport, lookups: Map<string, RowLookup[]>, now: number): void {
  for (const [view, rows] of lookups) {
    const ages = rows.flatMap((r) => (r.row ? [(now - r.row.eventTimeMs) / 1000] : []));
    report.ageSeconds[view] = ages.length ? Math.round(Math.max(...ages) * 1000) / 1000 : null;
    for (const r of rows) {
      if (r.fallback) (report.reasons[view] ??= new Set()).add(r.fallback);
      if (r.servedStale) report.servedStale.add(view);
    }
  }
}

interface FillContext {
  readonly plan: FeaturePlan;
  readonly rows: number;
  readonly data: Float32Array;
  readonly report: FeatureReport;
  readonly features: FeatureService | undefined;
}

function fillColumn(ctx: FillContext, c: number, raw: (r: number) => unknown, fellBack: (r: number) => boolean): void {
  const { plan, rows, data, report } = ctx;
  const col = plan.columns[c];
  const ref = `${col.view ?? 'request'}:${col.spec.name}`;
  for (let r = 0; r < rows; r++) {
    let value = col.spec.default;
    if (!fellBack(r)) {
      const checked = checkFeatureValue(col.spec, raw(r));
      if (checked.kind === 'invalid' || (checked.kind === 'null' && col.spec.onNull === 'reject'))
        ctx.features?.metrics.validationFailures.inc({ feature: ref });
      const resolved = resolveFeatureValue(col.spec, checked, () => `feature '${ref}' of row ${r}`);
      value = resolved.value;
      if (resolved.imputed) report.fallbacks.add(ref);
    } else report.fallbacks.add(ref);
    data[r * plan.columns.length + c] = value;
  }
}

/** Builds a feature-backed model's input; other requests pass through unchanged. */
export async function enrichRequest(
  plan: FeaturePlan,
  request: InferenceRequest,
  features: FeatureService | undefined,
): Promise<Enriched> {
  const entities = readEntities(
    request.parameters,
    plan.views.flatMap((v) => v.entities.map((e) => e.name)),
  );
  const byName = new Map(request.inputs.map((t) => [t.name, t]));
  if (byName.has(plan.inputName)) {
    if (entities)
      throw new InvalidArgumentError(
        `send either the full '${plan.inputName}' tensor or entities with request-time features, not both`,
      );
    return { request };
  }
  const rows = rowCount(plan, entities, byName);
  const lookups = await fetchViews(plan, features, entities);
  const report = new FeatureReport();
  recordFreshness(report, lookups, Date.now());
  const ctx: FillContext = { plan, rows, data: new Float32Array(rows * plan.columns.length), report, features };
  plan.columns.forEach((col, c) => {
    if (!col.view) {
      const values = requestColumn(plan, byName, col.spec, rows);
      fillColumn(
        ctx,
        c,
        (r) => values[r],
        () => false,
      );
    } else {
      const looked = lookups.get(col.view)!;
      fillColumn(
        ctx,
        c,
        (r) => looked[r].row!.values[col.spec.name],
        (r) => !looked[r].row,
      );
    }
  });
  const requestNames = new Set(plan.mapping.request.map((s) => s.name));
  const others = request.inputs.filter((t) => !requestNames.has(t.name));
  const input: Tensor = { name: plan.inputName, datatype: 'FP32', shape: [rows, plan.columns.length], data: ctx.data };
  return {
    request: { ...request, inputs: [input, ...others] },
    parameters: lookups.size ? report.toParameters() : undefined,
  };
}
