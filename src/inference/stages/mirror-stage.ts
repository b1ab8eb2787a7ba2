/**
 * The mirror stage of a version whose routed requests are copied to another version: a shadow the traffic policy
 * (or a rollout) declares, or a rollout's paired check. Routing attaches it while that lasts and detaches it when
 * it ends (routing/mirror-stages.ts); it is the outermost stage, so the copies are of the request as the caller
 * sent it, taken before anything runs. They are mirrored only when the version answered itself (not a fallback),
 * after its answer and off the caller's path.
 */
import type { MirrorTap } from '../../routing/mirror-stages.js';
import type { ShadowRunner } from '../../routing/shadow-mirror.js';
import { MIRROR_STAGE } from '../../routing/mirror-stages.js';
import type { AnswerStage } from './request-stage.js';

export function mirrorStage(tap: MirrorTap, run: ShadowRunner): AnswerStage {
  return {
    name: MIRROR_STAGE,
    wraps: 'answer',
    handle: async (ctx, next) => {
      const { request } = ctx;
      // A request whose URL names its version (a shadow's own copy among them) is not mirrored.
      if (request.version !== undefined && request.version !== '') return next();
      const copies = tap.take(request);
      if (!copies) return next();
      const response = await next();
      if (ctx.answered) copies(ctx.answered, run);
      return response;
    },
  };
}
