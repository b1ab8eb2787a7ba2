/**
 * The inference core as a library: a model repository, its loaded versions, the inference service (the data
 * plane) and the control plane beside it, with no network. The HTTP server (main.ts) wraps exactly this.
 *
 * @example
 * const inferd = await Inferd.create({ modelRepository: './models' });
 * const res = await inferd.infer({ model: 'digits', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Float32Array(64) }] });
 * await inferd.stop();
 */
import { openRepositories, type StoreRepositories } from './artifacts/store-repositories.js';
import type { ArtifactStoreConfig } from './config/artifact-store-config.js';
import { ModelRegistry } from './registry/model-registry.js';
import { RepositoryPoller } from './registry/repository-poller.js';
import { InferenceService } from './inference/inference-service.js';
import { RepositoryControl, type ModelControlMode } from './control/repository-control.js';
import { ControlPlane } from './control/control-plane.js';
import type { InferenceRequest, InferenceResponse } from './inference/types.js';
import { silentLogger, type Logger } from './telemetry/logger.js';
import type { FeaturesConfig, InlineExecutionDefaults } from './config/index.js';
import type { FeatureService } from './features/feature-service.js';
import { createFeatureMetrics, type FeatureMetrics } from './telemetry/metrics.js';
import type { AuditConfig } from './config/audit-config.js';
import type { AuditTrail } from './audit/audit-trail.js';
import { createAuditMetrics, type AuditMetrics } from './telemetry/audit-metrics.js';
import { integrityPolicy, type IntegrityMode } from './registry/integrity.js';
import { TrafficManager } from './routing/traffic-manager.js';
import { DriftMonitor } from './drift/drift-monitor.js';
import { createRolloutStore } from './routing/create-rollout-store.js';
import { markStartupPhase } from './lib/startup-phases.js';
import type { RolloutStore } from './routing/rollout-store.js';
import type { StateConfig } from './config/state-config.js';
import type { PostgresState } from './state/postgres/postgres-state.js';
import type { PostgresCanaryCoordination } from './state/postgres/canary-coordination.js';

export interface InferdOptions {
  /**
   * Folder holding `<model>/<version>/` trees. It must exist and hold at least one model folder, else `create`
   * rejects with a `ModelRepositoryError` (see `allowEmptyRepository`); inferd never creates it.
   */
  readonly modelRepository: string;
  /**
   * Every repository to serve, folders and `s3://bucket/prefix` URLs (default: `[modelRepository]`); a model name
   * may be in one only. Store repositories are pulled into a cache (README "Models from an artefact store").
   */
  readonly modelRepositories?: readonly string[];
  /** How `s3://` repositories are reached and cached (default: the SDK's chain, the cache under the state directory). */
  readonly artifactStore?: ArtifactStoreConfig;
  /**
   * Explicit and poll modes: start even when the repository holds no model folders (models are loaded or added
   * later; meanwhile nothing serves and the server counts as ready). Default false.
   */
  readonly allowEmptyRepository?: boolean;
  readonly logger?: Logger;
  /** none (default): load everything at start; explicit: load on request; poll: follow the repository's changes. */
  readonly modelControlMode?: ModelControlMode;
  /** Explicit mode: models to load at start ('*' for all). */
  readonly loadModels?: readonly string[];
  /** Poll mode: seconds between repository scans (default 15). */
  readonly repositoryPollSecs?: number;
  /** Feature views and stores for feature-backed models (see config/feature-config.ts). */
  readonly features?: FeaturesConfig | undefined;
  /** Where feature metrics are recorded (default: a registry of their own). */
  readonly featureMetrics?: FeatureMetrics;
  /** The prediction log; recorded only when `enabled` (see config/audit-config.ts). */
  readonly audit?: AuditConfig;
  /** Where audit metrics are recorded (default: a registry of their own). */
  readonly auditMetrics?: AuditMetrics;
  /** Inline execution's defaults for models that name none (config/inline-config.ts; default: on, 50 µs). */
  readonly inlineExecution?: InlineExecutionDefaults;
  /** What a version folder must prove before it loads: off (default), checksum or signed (see registry/integrity.ts). */
  readonly integrity?: IntegrityMode;
  /** PEM files of the ed25519 public keys trusted under `integrity: 'signed'`. */
  readonly trustedKeys?: readonly string[];
  /**
   * Where rollouts, traffic policies and events are kept (see config/state-config.ts): SQLite, memory, or
   * PostgreSQL shared by every replica; absent: memory only.
   */
  readonly state?: StateConfig;
  /** @deprecated the older name of `state`. */
  readonly rollouts?: StateConfig;
}

export class Inferd {
  private constructor(
    /** The data plane: inference, metadata, readiness, statistics. */
    readonly service: InferenceService,
    /** The control plane: traffic and rollouts, drift, predictions, feature writes, repository operations. */
    readonly control: ControlPlane,
    private readonly registry: ModelRegistry,
    private readonly poller: RepositoryPoller | undefined,
    /** The online feature layer, when a features config was given. */
    readonly features: FeatureService | undefined,
    /** The prediction log, when audit.enabled. */
    readonly audit: AuditTrail | undefined,
    /** Traffic policies, shadows, rollouts and their events. */
    readonly traffic: TrafficManager,
    /** Live drift per model version against its profile.json (models with `drift:` in config.yaml). */
    readonly drift: DriftMonitor,
    /** The shared state database (pool, schema, origin id) when `state.store` is postgres. */
    readonly state: PostgresState | undefined,
    /** The canary leader, verdict ledger and shared evidence when `state.store` is postgres. */
    readonly canaryCoordination: PostgresCanaryCoordination | undefined,
    /** The artefact stores among the repositories: what was pulled, what is being pulled, whether they answer. */
    readonly artifacts: StoreRepositories,
  ) {}

  /**
   * Loads the models the mode calls for. Models that fail are reported in `service.index()`, not thrown; a
   * missing, unreadable or empty repository rejects with a `ModelRepositoryError` before anything opens.
   */
  static async create(options: InferdOptions): Promise<Inferd> {
    const logger = options.logger ?? silentLogger();
    const mode = options.modelControlMode ?? 'none';
    // First: nothing below may open (or create) anything in a repository that is not there.
    const artifacts = await openRepositories(options, mode, logger);
    const integrity = integrityPolicy(options.integrity ?? 'off', options.trustedKeys ?? []);
    // Feature stores open before the models load and close after they stop (stop() reverses this order). Their
    // clients (ioredis, better-sqlite3) are loaded only when features are configured.
    const features: FeatureService | undefined = options.features
      ? new (await import('./features/feature-service.js')).FeatureService({
          config: options.features,
          logger,
          metrics: options.featureMetrics ?? createFeatureMetrics(),
        })
      : undefined;
    await features?.start();
    await features?.seedEmptyViews();
    // The audit store opens before the models load (a bad path or URL stops the start) and closes after they stop.
    // The prediction log's code loads only when it is on (off by default).
    const audit = options.audit?.enabled
      ? await (
          await import('./audit/create-audit-trail.js')
        ).createAuditTrail(options.audit, { logger, metrics: options.auditMetrics ?? createAuditMetrics() })
      : undefined;
    await audit?.start().catch(async (err: unknown) => {
      await features?.stop();
      artifacts.close();
      throw err;
    });
    // The traffic manager hears of every version the registry loads, refuses or unloads (called only once loading starts).
    const drift = new DriftMonitor({ repository: (model) => artifacts.repository.modelFolder(model), logger });
    const registry = new ModelRegistry(artifacts.repository, logger, {
      integrity,
      featuresConfigSha256: options.features?.sha256,
      inline: options.inlineExecution,
      onEvent: (e) => traffic.onLifecycle(e),
    });
    const stateConfig = options.state ?? options.rollouts;
    // The shared state database opens before the models load: a replica without it has no policy to serve.
    let state: PostgresState | undefined;
    let store: RolloutStore | undefined;
    // Several replicas: one leads the canary analysis and judges every replica's evidence (README "Canary leader").
    let coordination: PostgresCanaryCoordination | undefined;
    try {
      if (stateConfig?.store === 'postgres') {
        // pg and the shared-state code load only when the state is kept in PostgreSQL.
        const [{ PostgresState }, { PostgresRolloutStore }, { createCanaryCoordination }] = await Promise.all([
          import('./state/postgres/postgres-state.js'),
          import('./state/postgres/postgres-rollout-store.js'),
          import('./state/postgres/canary-coordination.js'),
        ]);
        state = await PostgresState.open(stateConfig);
        store = await PostgresRolloutStore.open({ state, config: stateConfig, logger });
        coordination = await createCanaryCoordination(state.pool, state.schema, state.instanceId, {
          logger,
          connection: { connectionString: state.url },
          retryMs: stateConfig.leaderRetryMs,
          sessionTimeoutMs: stateConfig.leaderSessionTimeoutMs,
          exchangeMs: stateConfig.evidenceIntervalMs,
        });
        logger.info({ state_store: state.location, origin: state.instanceId }, 'control state shared in PostgreSQL');
      } else store = createRolloutStore(stateConfig, logger);
    } catch (err) {
      await coordination?.close();
      await store?.close();
      await state?.close();
      await audit?.stop();
      await features?.stop();
      artifacts.close();
      throw err;
    }
    const traffic = new TrafficManager({ versions: registry, logger, store, coordination });
    // Before loading: every version is built with the stages its config declares (fallback, features, drift).
    const service = new InferenceService(registry, features, audit, drift);
    service.useTraffic(traffic.director);
    // Kept events come back before the models load, so event numbers continue after them.
    await traffic.openStore().catch(async (err: unknown) => {
      await traffic.closeStore();
      await coordination?.close();
      await state?.close();
      await audit?.stop();
      await features?.stop();
      artifacts.close();
      throw err;
    });
    markStartupPhase('stores');
    const initial = mode === 'explicit' && !options.loadModels?.includes('*') ? (options.loadModels ?? []) : undefined;
    const poller =
      mode === 'poll' ? new RepositoryPoller(registry, (options.repositoryPollSecs ?? 15) * 1000, logger) : undefined;
    const loadInitial = async () => {
      await registry.loadInitial(initial);
      markStartupPhase('models');
      poller?.start();
      traffic.resumeRollouts();
    };
    const closeAll = async (err: unknown) => {
      await traffic.closeStore();
      await coordination?.close();
      await state?.close();
      await audit?.stop();
      await features?.stop();
      artifacts.close();
      throw err;
    };
    // A store that cannot be read at start: serve nothing, not ready with the reason, and try again with back-off.
    if (artifacts.startProblem)
      artifacts.retry = new (await import('./artifacts/start-retry.js')).StartRetry(artifacts.startProblem, {
        attempt: async () => {
          await artifacts.check();
          await loadInitial();
        },
        maxMs: artifacts.retryMaxMs,
        logger,
      });
    if (artifacts.retry) artifacts.retry.start();
    else await loadInitial().catch(closeAll);
    traffic.start();
    drift.start();
    const control = new ControlPlane({
      data: service,
      repository: new RepositoryControl(registry, mode),
      traffic,
      drift,
      audit,
      features,
    });
    const stateHealth = () => traffic.stateHealth();
    for (const check of artifacts.readinessChecks()) service.addReadinessCheck(check);
    if (state)
      // Not a readiness failure: serving goes on with the last known policies (README "Running several replicas").
      service.addReadinessCheck({ dependency: 'state_store', degrades: true, problem: () => stateHealth()?.problem });
    return new Inferd(
      service,
      control,
      registry,
      poller,
      features,
      audit,
      traffic,
      drift,
      state,
      coordination,
      artifacts,
    );
  }

  /** Runs one request. The caller's input arrays are copied, so they stay usable afterwards. */
  infer(request: InferenceRequest): Promise<InferenceResponse> {
    const inputs = request.inputs.map((t) => ({ ...t, data: t.data.slice() }));
    return this.service.infer({ ...request, inputs });
  }

  /** Poll mode: rescan the repository now (also runs every repositoryPollSecs). */
  async pollRepository(): Promise<void> {
    await this.poller?.scan();
  }

  /** Answers everything already accepted, then stops every model's workers. */
  async stop(): Promise<void> {
    this.traffic.stop();
    await this.artifacts.retry?.stop();
    await this.poller?.stop();
    await this.registry.stop();
    await this.drift.stop(); // counts what the last answers buffered; waits for webhook calls
    await this.traffic.closeStore();
    await this.canaryCoordination?.close(); // steps down: another replica takes the lead at its next try
    await this.state?.close();
    await this.audit?.stop(); // after the last answer: writes what is buffered
    await this.features?.stop();
    this.artifacts.close();
  }
}
