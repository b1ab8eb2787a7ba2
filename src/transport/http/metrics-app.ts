/** The Prometheus endpoint, on its own port (8002 by default, as Triton does). */
import fastify, { type FastifyInstance } from 'fastify';
import type { TlsOptions } from 'node:tls';
import type { Registry } from 'prom-client';
import { ConnectionGuard, type HttpConnectionLimits } from './connection-guard.js';
import type { ConnectionMetrics } from '../../telemetry/connection-metrics.js';

/**
 * `https`: serve the metrics over TLS too (tls.metrics); absent: plain HTTP. `connections`: the port's timeouts
 * and connection cap (the same as the inference port's); absent: node's defaults.
 */
export function buildMetricsApp(registry: Registry, https?: TlsOptions, connections?: { limits: HttpConnectionLimits; metrics?: ConnectionMetrics }): FastifyInstance {
  const guard = connections && new ConnectionGuard('metrics', connections.limits, connections.metrics);
  const tls = https && connections ? { ...https, handshakeTimeout: connections.limits.headersTimeoutMs } : https;
  const app = fastify({ ...(tls ? { https: tls } : {}), logger: false, forceCloseConnections: true, ...(guard ? { clientErrorHandler: guard.clientErrorHandler } : {}) });
  guard?.attach(app.server, https !== undefined);
  app.get('/metrics', async (_req, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  return app;
}
