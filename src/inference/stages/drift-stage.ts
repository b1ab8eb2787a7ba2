/**
 * The drift tap of a version whose config has `drift:`: a sampled request's validated inputs are copied just
 * before they move to a worker, and its raw outputs once they are back; both are counted into the version's
 * drift window off the request path (drift/DriftMonitor). The version's record is made when it loads and
 * let go when it closes, so a reloaded version starts a fresh window against its own profile.
 */
import type { ModelConfig } from '../../config/index.js';
import type { DriftMonitor } from '../../drift/drift-monitor.js';
import type { SubmitStage } from './request-stage.js';

export function driftStage(config: ModelConfig, label: string, monitor: DriftMonitor): SubmitStage | undefined {
  if (!config.drift) return undefined;
  const record = monitor.attach(config, label);
  return {
    name: 'drift',
    wraps: 'submit',
    handle: async (ctx, next) => {
      const tapped = monitor.tap(config, label, ctx.inputs);
      const result = await next();
      tapped?.(result.outputs);
      return result;
    },
    dispose: () => monitor.detach(record),
  };
}
