/** The Prometheus endpoint, on its own port (8002 by default, as Triton does). */
import fastify, { type FastifyInstance } from 'fastify';
import type { TlsOptions } from 'node:tls';
import type { Registry } from 'prom-client';
import { renderMetrics } from '../../telemetry/render-metrics.js';

/**
 * `https`: serve the metrics over TLS too (tls.metrics); absent: plain HTTP. The text is rendered a family at a
 * time, yielding to the event loop in between (render-metrics.ts), and scrapes that arrive while one is rendering
 * share its text: a scrape never holds inference up for long, and many scrapers cost one render.
 */
export function buildMetricsApp(registry: Registry, https?: TlsOptions): FastifyInstance {
  const app = fastify({ ...(https ? { https } : {}), logger: false, forceCloseConnections: true });
  let rendering: Promise<string> | undefined;
  const render = () => {
    rendering ??= renderMetrics(registry).finally(() => (rendering = undefined));
    return rendering;
  };
  app.get('/metrics', async (_req, reply) => reply.header('content-type', registry.contentType).send(await render()));
  return app;
}
