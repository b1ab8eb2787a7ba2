/**
 * Feature enrichment as a stage of a version whose config has a `features:` mapping: the plan (views, columns in
 * training order) is checked once, at load; each request's input is built from it before validation. A plan that
 * does not fit the views or the signature is a configuration mistake: the version loads, and every request to it
 * answers 503 naming the problem until the config is fixed.
 */
import type { ModelConfig } from '../../config/index.js';
import type { FeatureService } from '../../features/feature-service.js';
import { enrichRequest } from '../../features/enrichment/enrich-request.js';
import { featurePlan, type FeaturePlan } from '../../features/enrichment/feature-plan.js';
import type { AnswerStage } from './request-stage.js';

export const FEATURES_STAGE = 'features';

export interface FeatureStage extends AnswerStage {
  /** The checked plan, or undefined when the mapping does not fit (requests are then refused with the reason). */
  readonly plan: FeaturePlan | undefined;
}

export function featureStage(config: ModelConfig, features: FeatureService | undefined): FeatureStage {
  let plan: FeaturePlan | undefined;
  try {
    plan = featurePlan(config, features);
  } catch {
    plan = undefined; // asked again per request, which throws the reason afresh
  }
  return {
    name: FEATURES_STAGE,
    wraps: 'answer',
    plan,
    handle: async (ctx, next) => {
      const enriched = await ctx.timeline.time(
        'features',
        () => enrichRequest(plan ?? featurePlan(config, features), ctx.request, features),
        'features',
      );
      ctx.request = enriched.request;
      ctx.parameters = enriched.parameters;
      return next();
    },
  };
}
