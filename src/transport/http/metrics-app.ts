/** The Prometheus endpoint, on its own port (8002 by default, as Triton does). */
import { Readable } from 'node:stream';
import fastify, { type FastifyInstance } from 'fastify';
import type { TlsOptions } from 'node:tls';
import type { Registry } from 'prom-client';
import { renderMetricChunks } from '../../telemetry/render-metrics.js';

/**
 * `https`: serve the metrics over TLS too (tls.metrics); absent: plain HTTP. The text is rendered a family at a
 * time, yielding to the event loop in between, and written a chunk at a time (render-metrics.ts); scrapes that
 * arrive while one is rendering share its text. A scrape never holds inference up for long, however many models
 * there are, and many scrapers cost one render.
 */
export function buildMetricsApp(registry: Registry, https?: TlsOptions): FastifyInstance {
  const app = fastify({ ...(https ? { https } : {}), logger: false, forceCloseConnections: true });
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
