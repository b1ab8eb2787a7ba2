/**
 * `GET /v1/models/{model}/drift`: for each ready version with `drift:` in its config, the profile it is compared
 * with, the rolling window's size, the last evaluation's statistics per feature and prediction (value,
 * threshold, drifted), the webhook's record, and the model's threshold-crossing events. 404 for an unknown model,
 * one without `drift:`, or one with no ready version.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ModelNotReadyError, NotFoundError } from '../../errors/index.js';
import type { InferenceService } from '../../inference/inference-service.js';
import type { DriftMonitor } from '../../drift/drift-monitor.js';
import { driftReportJson } from '../../drift/drift-report.js';

/** The model's ready versions; a model with none (unloaded, or its load failed) has no drift to report: 404. */
function readyVersions(service: InferenceService, model: string): readonly string[] {
  try {
    return service.metadata(model).versions;
  } catch (err) {
    if (!(err instanceof ModelNotReadyError)) throw err;
    throw new NotFoundError(`model '${model}' has no ready version, so there is no drift to report (${err.message}); load it, or wait until it is ready`);
  }
}

export function registerDriftRoutes(app: FastifyInstance, { service, drift }: { readonly service: InferenceService; readonly drift: DriftMonitor }): void {
  app.get('/v1/models/:model/drift', async (req: FastifyRequest<{ Params: { model: string } }>, reply: FastifyReply) => {
    const { model } = req.params;
    const versions = readyVersions(service, model).map((version) => ({ version, config: service.config(model, version) }));
    const records = drift.records(model, versions);
    if (!records.length) {
      throw new NotFoundError(`model '${model}' has no drift monitoring; add drift: { window: { rows: 1000 } } to its config.yaml and a profile.json to the version folder (inferd profile)`);
    }
    await Promise.all(records.map((r) => r.ready())); // a first look reads the profiles
    const body = driftReportJson(model, records, drift.eventsOf(model));
    return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(body));
  });
}
