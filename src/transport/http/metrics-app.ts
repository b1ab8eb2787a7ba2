/** The Prometheus endpoint, on its own port (8002 by default, as Triton does). */
import fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export function buildMetricsApp(registry: Registry): FastifyInstance {
  const app = fastify({ logger: false, forceCloseConnections: true });
  app.get('/metrics', async (_req, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  return app;
}
