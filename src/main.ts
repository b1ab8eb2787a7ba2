/**
 * Composition root of the server: config → core → HTTP and gRPC front ends; stops in reverse order.
 */
import type { AddressInfo } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLoopback, prepareStateDir, readFeaturesConfig, type ServerConfig } from './config/index.js';
import { LEGACY_AUDIT_PATH } from './config/audit-config.js';
import { ConfigError } from './errors/index.js';
import { Inferd } from './inferd.js';
import { checkModelRepository } from './repository/check-model-repository.js';
import { isStoreUrl } from './config/artifact-store-config.js';
import { dropSpareWorker } from './registry/prestart-worker.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { createFeatureMetrics, createMetrics } from './telemetry/metrics.js';
import { registerRequestMetrics } from './telemetry/request-metrics.js';
import { registerResilienceMetrics } from './telemetry/resilience-metrics.js';
import { registerCacheMetrics } from './telemetry/cache-metrics.js';
import { registerCostMetrics } from './telemetry/cost-metrics.js';
import { registerCascadeMetrics } from './telemetry/cascade-metrics.js';
import { createAuditMetrics } from './telemetry/audit-metrics.js';
import { createFeedbackMetrics, type FeedbackMetrics } from './telemetry/quality-metrics.js';
import type { QualityServer } from './quality/quality-server.js';
import { withLifecycleMetrics } from './telemetry/lifecycle-metrics.js';
import { withDriftMetrics } from './telemetry/drift-metrics.js';
import { createSecurityMetrics } from './telemetry/security-metrics.js';
import { createConnectionMetrics } from './telemetry/connection-metrics.js';
import { withMetrics } from './telemetry/metric-group.js';
import { createArtifactMetrics } from './telemetry/artifact-metrics.js';
import { withProcessFaults } from './telemetry/process-faults.js';
import { SecurityGate } from './security/security-gate.js';
import { httpsServerOptions, TlsMaterial } from './security/tls-material.js';
import { createRateStore, followCertificates } from './security-setup.js';
import { requestLogger } from './telemetry/request-log.js';
import type { Tracing } from './telemetry/tracing.js';
import { withTraceIds } from './telemetry/trace-ids.js';
import { ShedLog } from './telemetry/shed-log.js';
import { logModelStatus } from './telemetry/model-status.js';
import { VERSION } from './version.js';
import { codeLoading, markStartupPhase, takeStartupPhases } from './lib/startup-phases.js';
import type { RunningGrpcServer } from './transport/grpc/grpc-server.js';
import type { Registry } from 'prom-client';
import type { Leadership } from './routing/canary-coordination.js';

export interface RunningServer {
  readonly inferd: Inferd;
  /** Base URL of the HTTP endpoint, e.g. http://127.0.0.1:8000. */
  readonly url: string;
  readonly port: number;
  /** URL of the Prometheus endpoint, or undefined when turned off. */
  readonly metricsUrl: string | undefined;
  /** gRPC target (host:port, e.g. 127.0.0.1:8001), or undefined when turned off. */
  readonly grpcUrl: string | undefined;
  /** The bound gRPC port, or undefined when turned off. */
  readonly grpcPort: number | undefined;
  /**
   * Graceful stop: readiness turns false and responses ask clients to close their connections; after `delayMs`
   * (time for load balancers to notice) the listener closes, everything accepted is answered, the models stop.
   */
  close(options?: { delayMs?: number }): Promise<void>;
  /** The metrics exposition, when `StartOptions.metricsText` asked for it (the primary of several processes sums them). */
  readonly metricsText?: (() => Promise<string>) | undefined;
}

/** How a serving process of `--processes N` differs from a lone server (src/processes/). */
export interface StartOptions {
  /** Keep the metrics registry even with no metrics port, and expose its text as `metricsText`. */
  readonly metricsText?: boolean;
  /** Who leads the canary analysis among the processes sharing the embedded state store. */
  readonly canaryLeadership?: Leadership;
}

/** Loads the models and starts listening. */
export async function startServer(
  config: ServerConfig,
  logger: Logger = createLogger(config.logLevel, { format: config.logFormat }),
  startOptions: StartOptions = {},
): Promise<RunningServer> {
  const started = performance.now();
  // The HTTP front end's code (fastify and the routes) loads on this thread while the model workers start and load
  // on theirs; it is awaited once the models are ready. So does gRPC's, when it is on: it binds beside HTTP.
  const doorsLoading = loadHttpDoors();
  doorsLoading.catch(() => undefined); // a failure is reported where it is awaited
  const grpcLoading = config.grpcPort >= 0 ? import('./transport/grpc/grpc-server.js') : undefined;
  grpcLoading?.catch(() => undefined); // likewise
  // Before anything reads the repository (features.yaml) or writes beside it (the rollout store): it must be there.
  // Folders only: an `s3://` repository is read (and retried while it cannot be) by Inferd.create.
  for (const path of config.modelRepositories.filter((r) => !isStoreUrl(r)))
    await checkModelRepository({
      path,
      modelControlMode: config.modelControlMode,
      allowEmpty: config.allowEmptyRepository || config.modelRepositories.length > 1,
    });
  checkStateDir(config, logger);
  logger.info({ model_repository: config.modelRepositories.join(', ') }, 'loading models');
  const features =
    config.featuresConfig === undefined
      ? undefined
      : readFeaturesConfig(config.featuresConfig, config.redisUrl, config.stateDir.path);
  if (features)
    logger.info(
      { features_config: config.featuresConfig, views: Object.keys(features.views) },
      'feature views configured',
    );
  const featureMetrics = createFeatureMetrics();
  const auditMetrics = createAuditMetrics();
  const securityMetrics = createSecurityMetrics();
  const connectionMetrics = createConnectionMetrics();
  // Built before the models load, so a broken keys file or JWKS fails the start at once.
  const tls = config.tls ? new TlsMaterial(config.tls, logger) : undefined;
  const rateStore = await createRateStore(config.rateStore, securityMetrics, logger);
  const gate = await SecurityGate.create({ auth: config.auth, metrics: securityMetrics, logger, rateStore });
  logSecurity(config, logger);
  if (config.audit.enabled)
    logger.info(
      { store: config.audit.store, durability: config.audit.durability, sample_rate: config.audit.sampleRate },
      'audit trail on',
    );
  const inferd = await Inferd.create({
    modelRepository: config.modelRepository,
    modelRepositories: config.modelRepositories,
    artifactStore: config.artifactStore,
    logger,
    modelControlMode: config.modelControlMode,
    allowEmptyRepository: config.allowEmptyRepository,
    loadModels: config.loadModels,
    repositoryPollSecs: config.repositoryPollSecs,
    features,
    featureMetrics,
    audit: config.audit,
    auditMetrics,
    integrity: config.integrity,
    inlineExecution: config.inlineExecution,
    trustedKeys: config.trustedKeys,
    state: config.state,
    canaryLeadership: startOptions.canaryLeadership,
  });
  await dropSpareWorker(); // the worker `inferd serve` started ahead, if no model took it
  // The OpenTelemetry SDK and exporter are loaded only when there is somewhere to send spans.
  const tracing: Tracing | undefined = config.tracing.otlpEndpoint
    ? new (await import('./telemetry/tracing.js')).Tracing({
        ...config.tracing,
        endpoint: config.tracing.otlpEndpoint,
        serviceVersion: VERSION,
      })
    : undefined;
  // One trace id per request, chosen before the spans and the log line are written, so both carry it.
  inferd.service.addObserver(
    withTraceIds(tracing !== undefined, [...(tracing ? [tracing] : []), requestLogger(logger, config.logRequests)]),
  );
  const shedLog = new ShedLog({ logger });
  inferd.service.addObserver(shedLog);
  shedLog.start();
  if (rateStore.readinessProblem)
    inferd.service.addReadinessCheck({ dependency: 'rate_store', problem: () => rateStore.readinessProblem?.() });
  // Ready only once every configured listener (HTTP, gRPC, metrics) is bound: HTTP answers the probe first, and a
  // client told "ready" must not be refused on the gRPC port.
  let listenersBound = false;
  inferd.service.addReadinessCheck({
    dependency: 'listeners',
    problem: () => (listenersBound ? undefined : 'the HTTP, gRPC and metrics listeners are still binding'),
  });
  const feedbackMetrics = createFeedbackMetrics();
  const quality = await startQuality(inferd, config, feedbackMetrics, logger);
  const { buildHttpApp, buildMetricsApp } = await doorsLoading.catch(async (err: unknown) => {
    shedLog.stop();
    await quality?.stop();
    await inferd.stop();
    throw err;
  });
  let accepting = true;
  // The doors: the data plane, the control plane (with feedback and quality when the prediction log is on), the gate.
  const planes = { data: inferd.service, control: inferd.control.withQuality(quality), gate };
  // The request metrics, then each group's own registry.
  const allMetrics = () => {
    const observed = withLifecycleMetrics(
      withDriftMetrics(createObservedMetrics(inferd, config, featureMetrics), inferd.drift),
      inferd.traffic,
    );
    const artifactMetrics = createArtifactMetrics(() => inferd.artifacts.metricRows());
    return withProcessFaults(
      withMetrics(observed, auditMetrics, feedbackMetrics, securityMetrics, connectionMetrics, artifactMetrics),
    );
  };
  // One /metrics registry, read by the metrics port, the dashboard and the primary of several processes alike
  // (built once: it registers observers).
  const registry = config.metricsPort >= 0 || config.ui.enabled || startOptions.metricsText ? allMetrics() : undefined;
  const dashboard = config.ui.enabled && registry ? await startDashboard(config, planes, registry, logger) : undefined;
  const app = buildHttpApp(planes, {
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    strictReadiness: config.strictReadiness,
    accepting: () => accepting,
    routingKeyHeader: config.routingKeyHeader,
    limits: config.limits,
    https: tls ? httpsServerOptions(tls.current, tls.config.clientAuth) : undefined,
    connections: config.connections,
    connectionMetrics,
    ui: dashboard,
  });
  const metricsApp =
    config.metricsPort >= 0 && registry
      ? buildMetricsApp(registry, tls?.config.metrics ? httpsServerOptions(tls.current, 'none') : undefined, {
          limits: config.connections,
          metrics: connectionMetrics,
        })
      : undefined;
  let grpc: RunningGrpcServer | undefined;
  const startGrpc = async () => {
    const { startGrpcServer } = await (grpcLoading ?? import('./transport/grpc/grpc-server.js'));
    const credentials = tls
      ? (await import('./transport/grpc/grpc-tls.js')).grpcTlsCredentials(tls, tls.config.clientAuth)
      : undefined;
    const started = await startGrpcServer(planes, {
      logger,
      strictReadiness: config.strictReadiness,
      accepting: () => accepting,
      host: config.host,
      port: config.grpcPort,
      maxReceiveMessageBytes: config.bodyLimitBytes,
      connections: config.connections.grpc,
      credentials,
      limits: config.limits,
    });
    markStartupPhase('grpc');
    return started;
  };
  try {
    await rateStore.start();
    // HTTP, gRPC and metrics bind side by side; readiness waits for all three (listenersBound).
    const [httpListening, grpcStarted, metricsListening] = await Promise.allSettled([
      app.listen({ host: config.host, port: config.httpPort }).then(() => markStartupPhase('http')),
      config.grpcPort >= 0 ? startGrpc() : undefined,
      metricsApp?.listen({ host: config.host, port: config.metricsPort }).then(() => markStartupPhase('metrics')),
    ]);
    if (grpcStarted.status === 'fulfilled') grpc = grpcStarted.value;
    for (const step of [httpListening, grpcStarted, metricsListening])
      if (step.status === 'rejected') throw step.reason;
    gate.start();
    // With `https` set, fastify's server is an https.Server (a tls.Server), though typed as http.Server.
    if (tls)
      followCertificates(tls, [app.server, tls.config.metrics ? metricsApp?.server : undefined] as unknown as Array<
        TlsServer | undefined
      >);
    tls?.start();
    listenersBound = true;
  } catch (err) {
    await Promise.all([app.close(), metricsApp?.close(), grpc?.shutdown(0), rateStore.stop()]);
    shedLog.stop();
    dashboard?.feed.stop();
    await quality?.stop();
    await inferd.stop();
    throw err;
  }
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const urlOf = (server: typeof app.server, secure: boolean) =>
    `${secure ? 'https' : 'http'}://${host}:${(server.address() as AddressInfo).port}`;
  const url = urlOf(app.server, tls !== undefined);
  const port = (app.server.address() as AddressInfo).port;
  const metricsUrl = metricsApp ? `${urlOf(metricsApp.server, tls?.config.metrics === true)}/metrics` : undefined;
  logModelStatus(logger, inferd.service.index());
  if (grpc) logger.info({ grpc_url: grpc.address }, `gRPC on ${grpc.address}`);
  if (metricsUrl) logger.info({ metrics_url: metricsUrl }, `metrics on ${metricsUrl}`);
  // startup_phases_ms: when each step of the start finished, in ms since the process started (lib/startup-phases.ts);
  // code_loading: from the command's bundle (and whether V8 took its code cache) or module by module.
  const { from, codeCache } = codeLoading();
  logger.info(
    {
      url,
      startup_ms: Math.round(performance.now() - started),
      startup_phases_ms: takeStartupPhases(),
      code_loading: from,
      code_cache: codeCache,
    },
    `inferd listening on ${url}`,
  );
  let closing: Promise<void> | undefined;
  return {
    inferd,
    url,
    port,
    metricsUrl,
    grpcUrl: grpc?.address,
    grpcPort: grpc?.port,
    metricsText:
      startOptions.metricsText && registry
        ? async () => (await import('./telemetry/render-metrics.js')).renderMetrics(registry)
        : undefined,
    close: (options) => {
      closing ??= (async () => {
        accepting = false;
        if (options?.delayMs) await sleep(options.delayMs);
        // Connections the kernel has accepted, and requests already written to them, reach the server on the
        // event loop's next polls; closing before that would reset them. Let them in: they are answered.
        await readPendingConnections();
        // Keep-alive connections that went idle after their last answer would hold close() open: end them.
        const reaper = setInterval(() => app.server.closeIdleConnections(), 25);
        try {
          // gRPC: no new calls, in-flight calls finish (cut off after shutdown_timeout_ms).
          await Promise.all([app.close(), grpc?.shutdown(config.shutdownTimeoutMs)]);
        } finally {
          clearInterval(reaper);
        }
        gate.stop();
        tls?.stop();
        await rateStore.stop();
        await quality?.stop();
        await inferd.stop();
        shedLog.stop();
        dashboard?.feed.stop();
        // An unreachable collector must not fail the stop: the spans are lost either way.
        await tracing
          ?.shutdown()
          .catch((err: unknown) =>
            logger.warn(
              { endpoint: config.tracing.otlpEndpoint, err: (err as Error).message },
              'could not export the last spans to the OTLP endpoint',
            ),
          );
        await metricsApp?.close();
        logger.info('inferd stopped');
      })();
      return closing;
    },
  };
}

/** The HTTP and metrics front ends' modules. */
async function loadHttpDoors() {
  const [http, metrics] = await Promise.all([
    import('./transport/http/http-app.js'),
    import('./transport/http/metrics-app.js'),
  ]);
  return { buildHttpApp: http.buildHttpApp, buildMetricsApp: metrics.buildMetricsApp };
}

/** Feedback labels and live quality, beside the prediction log (only when it is on). */
async function startQuality(
  inferd: Inferd,
  config: ServerConfig,
  metrics: FeedbackMetrics,
  logger: Logger,
): Promise<QualityServer | undefined> {
  if (!inferd.audit) return undefined;
  const thresholdOf = (model: string, version: string) => {
    try {
      return inferd.service.config(model, version).threshold;
    } catch {
      return undefined; // the version is no longer loaded: the logged outputs are read without its threshold
    }
  };
  const audit = inferd.audit;
  // Loaded only with the prediction log on, like the feedback stores (SQLite, PostgreSQL) behind it.
  const { QualityServer } = await import('./quality/quality-server.js');
  const quality = new QualityServer({
    audit: config.audit,
    quality: config.quality,
    metrics,
    logger,
    thresholdOf,
    flushPredictions: () => audit.flush(),
    onLabels: (items) => inferd.service.cascades.label(items),
  });
  await quality.start().catch(async (err: unknown) => {
    await inferd.stop();
    throw err;
  });
  return quality;
}

/** Event-loop polls, then milliseconds, to let pass before closing the listener (measured under 32-connection load). */
const PENDING_POLLS = 3;
const PENDING_SETTLE_MS = 50;

/**
 * Lets the event loop accept the connections queued in the kernel and read the requests already written to them,
 * so the listener's close and the idle-connection reaper do not reset requests sent before the signal.
 */
async function readPendingConnections(): Promise<void> {
  for (let i = 0; i < PENDING_POLLS; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  await sleep(PENDING_SETTLE_MS);
}

/** Says at start how callers are checked; without auth off loopback, says so loudly. */
/**
 * Creates the state directory when a store defaults to it, and says plainly when it cannot be written: the
 * rollout store then stays in memory (with a warning from createRolloutStore), an SQLite prediction log stops the
 * start, since audit.enabled asks for every prediction to be kept.
 */
function checkStateDir(config: ServerConfig, logger: Logger): void {
  const sqliteAudit = config.audit.enabled && config.audit.store === 'sqlite';
  if (sqliteAudit && config.audit.pathSource === 'legacy')
    logger.warn(
      { audit_path: LEGACY_AUDIT_PATH, state_dir: config.stateDir.path },
      `the prediction log stays at ${LEGACY_AUDIT_PATH} (the default of earlier versions) while it exists: to follow the new default, ` +
        `stop inferd and move ${LEGACY_AUDIT_PATH}* into ${config.stateDir.path}/, or set audit.path to keep it where it is`,
    );
  const auditInStateDir = sqliteAudit && config.audit.pathSource === 'state_dir';
  const rolloutsInStateDir = config.state.store === 'sqlite' && config.state.defaultPath;
  if (!auditInStateDir && !rolloutsInStateDir) return;
  const problem = prepareStateDir(config.stateDir);
  if (problem === undefined) {
    logger.info({ state_dir: config.stateDir.path, source: config.stateDir.source }, 'state directory');
    return;
  }
  if (auditInStateDir)
    throw new ConfigError(
      `audit.enabled is true and the prediction log defaults to audit.db in the state directory, but ${problem}; or set audit.path`,
    );
  logger.warn({ state_dir: config.stateDir.path }, problem);
}

function logSecurity(config: ServerConfig, logger: Logger): void {
  const { auth } = config;
  if (auth.enabled)
    logger.info(
      { api_keys_file: auth.apiKeysFile, jwt_issuers: auth.jwtIssuers.map((i) => i.issuer) },
      'authentication on',
    );
  else if (config.insecure && !isLoopback(config.host))
    logger.warn({ host: config.host }, `serving ${config.host} WITHOUT authentication (--insecure)`);
}

/** The dashboard's feed and what its page is told first (README "Dashboard"); its code loads only when it is on. */
async function startDashboard(
  config: ServerConfig,
  planes: { data: Inferd['service']; control: Inferd['control'] },
  registry: Registry,
  logger: Logger,
) {
  const [{ DashboardFeed }, { LATENCY_BUCKETS }] = await Promise.all([
    import('./dashboard/dashboard-feed.js'),
    import('./telemetry/request-metrics.js'),
  ]);
  const feed = new DashboardFeed({
    ...planes,
    registry,
    bounds: LATENCY_BUCKETS,
    intervalMs: config.ui.intervalMs,
    logger,
  });
  const hello = () => ({
    bounds: LATENCY_BUCKETS,
    mode: planes.control.mode,
    costConfigured: config.costPerCpuSecond > 0,
    auth: config.auth.enabled,
  });
  return { path: config.ui.path, feed, hello };
}

/** The /metrics registry: scheduler counters, feature metrics and per-request metrics fed by the core. */
function createObservedMetrics(
  inferd: Inferd,
  config: ServerConfig,
  featureMetrics: Parameters<typeof createMetrics>[1],
) {
  const registry = createMetrics({ statistics: () => inferd.service.statistics() }, featureMetrics);
  inferd.service.addObserver(
    registerRequestMetrics(registry, {
      versions: () => inferd.service.statistics(),
      knownModel: (m) => inferd.service.knowsModel(m),
      costPerCpuSecond: config.costPerCpuSecond,
    }),
  );
  registerResilienceMetrics(registry, inferd.service);
  registerCacheMetrics(registry, inferd.service);
  inferd.service.cost.pricePerCoreHour = config.costPerCoreHour;
  registerCostMetrics(registry, inferd.service);
  registerCascadeMetrics(registry, inferd.service);
  return registry;
}
