/** The Prometheus endpoint, on its own port (8002 by default, as Triton does). */
import fastify, { type FastifyInstance } from 'fastify';
import type { TlsOptions } from 'node:tls';
import type { Registry } from 'prom-client';

/** `https`: serve the metrics over TLS too (tls.metrics); absent: plain HTTP. */
export function buildMetricsApp(registry: Registry, https?: TlsOptions): FastifyInstance {
  const app = fastify({ ...(https ? { https } : {}), logger: false, forceCloseConnections: true });
  app.get('/metrics', async (_req, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  return app;
}
