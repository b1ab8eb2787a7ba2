/**
 * The HTTP door: parses, calls the data plane (inference, metadata, readiness, statistics) or the control plane
 * (traffic, rollouts, quality, drift, predictions, features, repository), formats. It reaches nothing else.
 */
import fastify, { type FastifyInstance } from 'fastify';
import type { TlsOptions } from 'node:tls';
import { registerRepositoryRoutes } from './repository-routes.js';
import type { Logger } from '../../telemetry/logger.js';
import { createErrorHandler, notFoundHandler } from './error-handler.js';
import { registerV1Routes } from './v1-routes.js';
import { registerV2Routes } from './v2-routes.js';
import { registerFeatureRoutes } from './feature-routes.js';
import { registerSloRoutes } from './slo-routes.js';
import { registerDriftRoutes } from './drift-routes.js';
import { registerAuditRoutes } from './audit-routes.js';
import { registerFeedbackRoutes } from './feedback-routes.js';
import { registerRolloutRoutes } from './rollout-routes.js';
import type { InputLimits } from '../../config/index.js';
import { registerAuthHook } from './auth-hook.js';
import { InferenceBodies } from './inference-body.js';
import { DEFAULT_DECODE_LIMITS } from '../../protocol/decode-limits.js';
import { ConnectionGuard, type HttpConnectionLimits } from './connection-guard.js';
import { BodyBudget, registerBodyBudget } from './body-budget.js';
import { connectionConfigSchema, toConnectionConfig } from '../../config/connection-config.js';
import type { ConnectionMetrics } from '../../telemetry/connection-metrics.js';
import type { Planes } from '../planes.js';
import { UnavailableError } from '../../errors/index.js';
import { lazySchemaCompilers } from './lazy-schema-compilers.js';
import { registerUiRoutes, type UiRouteOptions } from './ui/ui-routes.js';
import { PARSE_ONCE } from '../../config/parse-once.js';

/** How the HTTP door listens and what it accepts: limits, TLS, connections, logging. */
export interface HttpSettings {
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly strictReadiness: boolean;
  /** False while the server is shutting down. */
  readonly accepting: () => boolean;
  /** Header hashed for sticky routing (lower case). */
  readonly routingKeyHeader?: string;
  /** Input hardening for V2 JSON requests; absent: the defaults. */
  readonly limits?: InputLimits;
  /** Serve HTTPS with these options (certificate, key, client certificates); absent: plain HTTP. */
  readonly https?: TlsOptions | undefined;
  /** Timeouts and the connection cap of this port, the buffered-body budget's size; absent: the server config's defaults. */
  readonly connections?: HttpConnectionLimits & { readonly bufferedBodyBytes: number };
  /** The server-wide budget of bytes held by bodies still arriving; absent: one of the default size for this app. */
  readonly bodyBudget?: BodyBudget;
  /** Where refused and cut-off connections and requests are counted; absent: not counted. */
  readonly connectionMetrics?: ConnectionMetrics;
  /** The dashboard (ui/ui-routes.ts); absent: no dashboard routes. */
  readonly ui?: UiRouteOptions | undefined;
}

/** The connection limits of the server config's defaults (for the library and tests that give none). */
export function defaultConnectionLimits(bodyLimitBytes: number) {
  return toConnectionConfig(connectionConfigSchema.parse({}, PARSE_ONCE), bodyLimitBytes);
}

export function buildHttpApp({ data, control, gate }: Planes, options: HttpSettings): FastifyInstance {
  const limits = options.connections ?? defaultConnectionLimits(options.bodyLimitBytes);
  const guard = new ConnectionGuard('http', limits, options.connectionMetrics);
  // With `https` fastify's server is an https.Server; routes and hooks are typed alike, so one type serves both.
  const app = fastify({
    // A TLS handshake must end within the head timeout too (node's default is 120 s).
    ...(options.https ? { https: { ...options.https, handshakeTimeout: limits.headersTimeoutMs } } : {}),
    // Fastify's own request logging is off: the core's observers log inference requests (telemetry/request-log.ts).
    logger: false,
    bodyLimit: options.bodyLimitBytes,
    // Closing: idle keep-alive connections end at once; requests in flight finish; new ones get 503 (our own
    // answer below, which carries an error code: fastify's would not).
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    // ajv and fast-json-stringify load only if a route declares a schema (none does).
    schemaController: { compilersFactory: lazySchemaCompilers() },
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Counted, and answered with a message that says what to do (connection-guard.ts).
    clientErrorHandler: guard.clientErrorHandler,
  });
  guard.attach(app.server, options.https !== undefined);
  // Bodies arrive as bytes whatever their content type (curl -d sends form-encoded); routes decode them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler(createErrorHandler({ logger: options.logger, bodyLimit: options.bodyLimitBytes, service: data }));
  app.setNotFoundHandler(notFoundHandler);
  refuseWhileClosing(app);
  // While shutting down, every answer asks the client to close its connection so draining ends promptly.
  app.addHook('onSend', (_req, reply, _payload, done) => {
    if (!options.accepting()) void reply.header('connection', 'close');
    done();
  });
  // Before every route's own hooks, so an unauthenticated request is refused before anything else happens.
  if (gate) registerAuthHook(app, gate);
  // preParsing: after authentication, before a byte of the body is read.
  registerBodyBudget(
    app,
    options.bodyBudget ?? new BodyBudget(limits.bufferedBodyBytes, options.connectionMetrics),
    'http',
    options.connectionMetrics,
  );
  // Inference bodies: limits from the loaded models (body_limit_bytes the most), large ones decoded off the loop.
  const bodies = new InferenceBodies(data, {
    ceilingBytes: options.bodyLimitBytes,
    floorBytes: Math.min(options.bodyLimitBytes, options.limits?.bodyLimitFloorBytes ?? 1024 * 1024),
    jsonOverheadFactor: options.limits?.jsonOverheadFactor ?? 8,
    maxStringBytes: options.limits?.maxStringBytes ?? DEFAULT_DECODE_LIMITS.maxStringBytes,
  });
  app.addHook('onClose', async () => bodies.pool.close());
  registerV2Routes(app, { ...options, service: data, bodies });
  registerRepositoryRoutes(app, control);
  registerV1Routes(app, { ...options, service: data, bodies });
  registerFeatureRoutes(app, control);
  registerSloRoutes(app, data);
  registerAuditRoutes(app, control);
  registerFeedbackRoutes(app, control);
  registerRolloutRoutes(app, control);
  registerDriftRoutes(app, control);
  if (options.ui) registerUiRoutes(app, options.ui);
  return app;
}

/**
 * Once the app closes (after the shutdown delay: see main.ts), a request that still reaches it (on a connection
 * busy when the close began, or one whose head was still arriving) is answered 503 `unavailable` with Retry-After
 * before anything else runs, authentication included: the client should send it to another replica.
 */
function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  // preClose runs as fastify starts to close, before the listener stops accepting connections.
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_req, _reply, done) => {
    if (!closing) return done();
    done(
      new UnavailableError(
        'the server is shutting down and takes no new requests; send the request again, to another replica',
      ),
    );
  });
}
