/**
 * The dashboard on the HTTP port (README "Dashboard"): `GET {path}` (the page), `{path}/app/*` and
 * `{path}/vendor/*` (its files), `{path}/stream` (Server-Sent Events: a `hello`, then a `snapshot` every
 * ui.interval_ms and at each event). Every route is a read behind the same authentication as the API; a browser
 * sends its API key or JWT as the password of HTTP Basic authentication (ui-credentials.ts). The page's actions
 * are the API's own routes, called with the same credentials, so they need the admin scope and are recorded as
 * the API records them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DashboardFeed } from '../../../dashboard/dashboard-feed.js';
import { sseMessage } from '../../../dashboard/dashboard-feed.js';
import { UiAssets, type Asset } from './ui-assets.js';
import { uiPage } from './ui-page.js';
import { registerUiChallenge, UI_ROUTE } from './ui-credentials.js';

export interface UiRouteOptions {
  /** Where the page is served, e.g. /ui. */
  readonly path: string;
  readonly feed: DashboardFeed;
  /** What the page is told in its hello. */
  readonly hello: () => Readonly<Record<string, unknown>>;
}

function sendAsset(req: FastifyRequest, reply: FastifyReply, asset: Asset | undefined): FastifyReply {
  if (!asset) return reply.callNotFound() as unknown as FastifyReply;
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  void reply
    .header('content-type', asset.type)
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('vary', 'accept-encoding');
  if (gzip) void reply.header('content-encoding', 'gzip');
  return reply.send(gzip ? asset.gzip : asset.body);
}

/** Registers the page, its files and its stream; the stream ends when the app closes. */
export function registerUiRoutes(app: FastifyInstance, options: UiRouteOptions): void {
  const { path, feed } = options;
  const assets = new UiAssets();
  const page = uiPage(path);
  const config = { [UI_ROUTE]: true };
  registerUiChallenge(app);
  const sendPage = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', page.csp)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(page.html);
  app.get(path, { config }, sendPage);
  app.get(`${path}/`, { config }, sendPage);
  app.get(`${path}/app/:file`, { config }, async (req: FastifyRequest<{ Params: { file: string } }>, reply) =>
    sendAsset(req, reply, assets.app(req.params.file)),
  );
  app.get(`${path}/vendor/:file`, { config }, async (req: FastifyRequest<{ Params: { file: string } }>, reply) =>
    sendAsset(req, reply, assets.vendor(req.params.file)),
  );
  const streams = new Set<() => void>();
  app.get(`${path}/stream`, { config }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write(
      `retry: 2000\n${sseMessage('hello', { ...options.hello(), intervalMs: feed.intervalMs, events: feed.history() })}`,
    );
    const unsubscribe = feed.subscribe((chunk) => res.write(chunk));
    const end = () => {
      unsubscribe();
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    req.raw.socket.once('close', end);
  });
  // Open streams would hold the close up: they end first.
  app.addHook('preClose', (done) => {
    for (const end of [...streams]) end();
    done();
  });
}
