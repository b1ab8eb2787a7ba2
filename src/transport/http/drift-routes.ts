/**
 * `GET /v1/models/{model}/drift`: for each ready version with `drift:` in its config, the profile it is compared
 * with, the rolling window's size, the last evaluation's statistics per feature and prediction (value,
 * threshold, drifted), the webhook's record, and the model's threshold-crossing events. 404 for an unknown model,
 * one without `drift:`, or one with no ready version.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ControlPlane } from '../../control/control-plane.js';
import { driftReportJson } from './drift-json.js';

export function registerDriftRoutes(app: FastifyInstance, control: ControlPlane): void {
  app.get(
    '/v1/models/:model/drift',
    async (req: FastifyRequest<{ Params: { model: string } }>, reply: FastifyReply) => {
      const body = driftReportJson(await control.driftReport(req.params.model));
      return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(body));
    },
  );
}
