/**
 * The exact response cache of a version whose config declares `cache:`, as an answer stage inside feature
 * enrichment (the key covers the built input) and inside the fallback (a fallback's answer is never kept). The
 * cache belongs to this version load: a swap, a rollback or a canary's other version has caches of their own, so
 * no answer crosses versions. The answer says what happened in its parameters: `cache` is hit, miss or bypass.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ModelConfig } from '../../config/index.js';
import { cacheKey } from '../../cache/cache-key.js';
import { copyTensor, ResponseCache, type CacheStatistics } from '../../cache/response-cache.js';
import type { VersionId } from '../../registry/model-version.js';
import { DEFAULT_STICKY_PARAMETER } from '../../config/index.js';
import type { AnswerStage } from './request-stage.js';

export const CACHE_STAGE = 'cache';

export interface CacheStage extends AnswerStage {
  statistics(): CacheStatistics;
}

export function cacheStage(config: ModelConfig, id: VersionId, fingerprint: string): CacheStage | undefined {
  if (!config.cache) return undefined;
  // Replicas that loaded the same files share answers; a load without a fingerprint shares with none.
  const load = fingerprint ? createHash('sha256').update(fingerprint).digest('base64url').slice(0, 16) : randomUUID();
  const cache = new ResponseCache({ config: config.cache, versionPrefix: `${id.model}:${id.label}:${load}:` });
  // The sticky-routing parameter only picks the version; entities only feed the input features built from them.
  const ignore = new Set([DEFAULT_STICKY_PARAMETER, ...(config.features ? ['entities'] : [])]);
  return {
    name: CACHE_STAGE,
    wraps: 'answer',
    statistics: () => cache.statistics(),
    handle: async (ctx, next) => {
      if (cache.skip()) {
        ctx.parameters = { ...ctx.parameters, cache: 'bypass' };
        return next();
      }
      const started = performance.now();
      const key = cacheKey(ctx.request, ignore);
      const looked = cache.lookup(key);
      const found = looked instanceof Promise ? await looked : looked;
      cache.policy.recordLookup(performance.now() - started);
      if (found) {
        const parameters = { ...ctx.parameters, cache: 'hit' };
        return {
          model: config.name,
          version: id.label,
          id: ctx.request.id,
          outputs: found.map(copyTensor),
          parameters,
        };
      }
      ctx.parameters = { ...ctx.parameters, cache: 'miss' };
      const computing = performance.now();
      const response = await next();
      cache.policy.recordCompute(performance.now() - computing);
      if (ctx.answered) cache.store(key, response.outputs);
      return response;
    },
    dispose: () => cache.close(),
  };
}
