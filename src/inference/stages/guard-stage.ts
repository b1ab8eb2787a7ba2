/**
 * The fallback and circuit breaker of a version whose config declares `fallback:`, as its outermost stage: the
 * rest of the version's answer runs behind the breaker, and a failure the fallback covers is answered by it
 * (see guarded-run.ts). Built at load; the breaker lives as long as the version.
 */
import type { ModelConfig } from '../../config/index.js';
import type { ModelGuards } from '../../resilience/model-guards.js';
import { runGuarded } from '../guarded-run.js';
import type { AnswerStage } from './request-stage.js';

export function guardStage(config: ModelConfig, label: string, guards: ModelGuards): AnswerStage | undefined {
  const guard = guards.build(config, label);
  if (!guard) return undefined;
  return {
    name: 'fallback',
    wraps: 'answer',
    handle: (ctx, next) =>
      runGuarded({
        guard,
        guards,
        config,
        version: label,
        request: ctx.request,
        viaModel: ctx.viaModel,
        failed: ctx.failed,
        primary: (attempt) => {
          ctx.attempt = attempt;
          return next();
        },
      }),
  };
}
