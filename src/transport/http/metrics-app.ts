/** The Prometheus endpoint, on its own port (8002 by default, as Triton does). */
import { Readable } from 'node:stream';
import fastify, { type FastifyInstance } from 'fastify';
import type { TlsOptions } from 'node:tls';
import type { Registry } from 'prom-client';
import { ConnectionGuard, type HttpConnectionLimits } from './connection-guard.js';
import type { ConnectionMetrics } from '../../telemetry/connection-metrics.js';
import { renderMetricChunks } from '../../telemetry/render-metrics.js';
import { lazySchemaCompilers } from './lazy-schema-compilers.js';

/**
 * `https`: serve the metrics over TLS too (tls.metrics); absent: plain HTTP. `connections`: the port's timeouts
 * and connection cap (the same as the inference port's); absent: node's defaults. The text is rendered a family
 * at a time, yielding to the event loop in between, and written a chunk at a time (render-metrics.ts); scrapes
 * that arrive while one is rendering share its text. A scrape never holds inference up for long, however many
 * models there are, and many scrapers cost one render.
 */
export function buildMetricsApp(
  registry: Registry,
  https?: TlsOptions,
  connections?: { limits: HttpConnectionLimits; metrics?: ConnectionMetrics },
): FastifyInstance {
  const guard = connections && new ConnectionGuard('metrics', connections.limits, connections.metrics);
  const tls = https && connections ? { ...https, handshakeTimeout: connections.limits.headersTimeoutMs } : https;
  const app = fastify({
    ...(tls ? { https: tls } : {}),
    logger: false,
    forceCloseConnections: true,
    // ajv and fast-json-stringify load only if a route declares a schema (none does).
    schemaController: { compilersFactory: lazySchemaCompilers() },
    ...(guard ? { clientErrorHandler: guard.clientErrorHandler } : {}),
  });
  guard?.attach(app.server, https !== undefined);
  let rendering: Promise<string[]> | undefined;
  const render = () => {
    rendering ??= renderMetricChunks(registry).finally(() => (rendering = undefined));
    return rendering;
  };
  app.get('/metrics', async (_req, reply) => {
    const chunks = await render();
    return reply.header('content-type', registry.contentType).send(Readable.from(chunks, { objectMode: false }));
  });
  return app;
}
