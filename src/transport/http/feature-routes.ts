/**
 * Feature ingestion over HTTP: `POST /v1/features/{view}` with `{"rows": [{<entity columns>, "event_time":
 * "2026-11-01T12:00:00Z", <feature>: <value>, ...}]}` upserts the rows (older rows never replace newer ones)
 * and answers `{"view", "written", "skipped_older"}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ControlPlane } from '../../control/control-plane.js';
import { InvalidArgumentError } from '../../errors/index.js';

function parseBody(body: Buffer | undefined): unknown {
  const text = (body ?? Buffer.alloc(0)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(
      `the body is not valid JSON (${(err as Error).message}); send {"rows": [{...}, ...]}`,
    );
  }
}

export function registerFeatureRoutes(app: FastifyInstance, control: ControlPlane): void {
  app.post(
    '/v1/features/:view',
    async (req: FastifyRequest<{ Params: { view: string }; Body: Buffer | undefined }>, reply: FastifyReply) => {
      const body = parseBody(req.body);
      const result = await control.writeFeatures(req.params.view, body);
      const answer = { view: req.params.view, written: result.written, skipped_older: result.skippedOlder };
      return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(answer));
    },
  );
}
