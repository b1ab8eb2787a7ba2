/**
 * The control plane beside the data plane (MLServer's handlers beside its data plane): traffic policies,
 * rollouts and their events, feedback and quality reports, drift reports, the prediction log, feature writes and
 * repository operations, behind one object. The doors (HTTP, gRPC) call it for everything but inference,
 * metadata, readiness and statistics, which are the data plane's (InferenceService). Its methods take and return
 * domain types; documents with a schema of their own (a traffic change, a rollout spec, feedback, feature rows)
 * arrive as parsed JSON and are checked here, whichever door they came through.
 */
import { InvalidArgumentError, ModelNotReadyError, NotFoundError } from '../errors/index.js';
import type { QualityWindowSpec } from '../config/quality-config.js';
import type { InferenceService } from '../inference/inference-service.js';
import type { IndexEntry } from '../registry/model-registry.js';
import type { OperatorAction } from '../routing/canary-controller.js';
import type { RoutingEvent } from '../routing/event-log.js';
import type { Rollout } from '../routing/rollout.js';
import type { TrafficManager, TrafficView } from '../routing/traffic-manager.js';
import { ANONYMOUS_PRINCIPAL } from '../audit/prediction-row.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { AuditQuery, StoredPrediction } from '../audit/audit-record.js';
import type { DriftMonitor } from '../drift/drift-monitor.js';
import type { DriftEvent } from '../drift/drift-events.js';
import type { VersionDrift } from '../drift/drift-version.js';
import { parseFeedbackBody } from '../quality/feedback-request.js';
import type { FeedbackResult } from '../quality/feedback-service.js';
import type { QualityServer } from '../quality/quality-server.js';
import type { QualityReport } from '../quality/quality-service.js';
import type { FeatureService } from '../features/feature-service.js';
import { rowsFromJson } from '../features/ingest-rows.js';
import type { WriteResult } from '../features/types.js';
import type { ModelControlMode, RepositoryControl } from './repository-control.js';

export interface ControlPlaneParts {
  /** The data plane: which models and versions exist and are ready (the index, drift and quality reports). */
  readonly data: InferenceService;
  readonly repository: RepositoryControl;
  readonly traffic: TrafficManager;
  readonly drift: DriftMonitor;
  /** The prediction log; absent when audit is off. */
  readonly audit?: AuditTrail | undefined;
  /** Feature views and stores; absent without a features config. */
  readonly features?: FeatureService | undefined;
  /** Feedback labels and quality reports; absent when the prediction log is off (they join with it). */
  readonly quality?: QualityServer | undefined;
}

/** A model's drift: each ready version with `drift:` in its config, and the model's threshold-crossing events. */
export interface DriftReport {
  readonly model: string;
  readonly versions: readonly VersionDrift[];
  readonly events: readonly DriftEvent[];
}

/** Who labels, and which model's route they posted to (absent: the route for every model). */
export interface FeedbackSource {
  /** The authenticated principal; absent when auth is off. */
  readonly principal?: string | undefined;
  readonly model?: string | undefined;
}

export class ControlPlane {
  constructor(private readonly parts: ControlPlaneParts) {}

  /** The same control plane with feedback and quality reports served by `quality` (started by the server). */
  withQuality(quality: QualityServer | undefined): ControlPlane {
    return new ControlPlane({ ...this.parts, quality });
  }

  // Repository operations.

  get mode(): ModelControlMode {
    return this.parts.repository.mode;
  }

  /** Every model version the repository and the registry know, with its state (and why when not ready). */
  index(options: { readonly readyOnly?: boolean } = {}): IndexEntry[] {
    const entries = this.parts.data.index();
    return options.readyOnly ? entries.filter((e) => e.state === 'READY') : entries;
  }

  /** Loads or reloads a model (explicit mode), `configJson` replacing its config; resolves once it is READY. */
  load(model: string, configJson?: string): Promise<void> {
    return this.parts.repository.load(model, configJson);
  }

  /** Unloads a model (explicit mode); what it has accepted is answered first. */
  unload(model: string): Promise<void> {
    return this.parts.repository.unload(model);
  }

  // Traffic, rollouts and their events.

  traffic(model: string): TrafficView {
    return this.parts.traffic.traffic(model);
  }

  /** Changes weights, the sticky parameter or the shadow from a traffic document (routing/traffic-policy.ts). */
  setTraffic(model: string, change: unknown): TrafficView {
    return this.parts.traffic.setTraffic(model, change);
  }

  /** Starts a canary rollout from a rollout spec document (routing/rollout-spec.ts). */
  startRollout(model: string, spec: unknown): Rollout {
    return this.parts.traffic.startRollout(model, spec);
  }

  rollouts(model: string): readonly Rollout[] {
    return this.parts.traffic.rollouts(model);
  }

  rollout(model: string, id: string): Rollout {
    return this.parts.traffic.rollout(model, id);
  }

  /** An operator's decision on a rollout. */
  act(model: string, id: string, action: OperatorAction): Rollout {
    return this.parts.traffic.act(model, id, action);
  }

  /** A model's decisions and lifecycle events after `since` (sequence number); an unknown model is a 404. */
  events(model: string, since?: number, limit?: number): RoutingEvent[] {
    this.parts.traffic.traffic(model);
    return this.parts.traffic.eventsOf(model, since, limit);
  }

  /** Calls `listener` with every decision and lifecycle event recorded from now on (the dashboard's stream). */
  onEvent(listener: (e: RoutingEvent) => void): void {
    this.parts.traffic.events.onRecord(listener);
  }

  // Feedback and quality.

  /** Joins labels (a feedback document, quality/feedback-request.ts) with the logged predictions they label. */
  async feedback(document: unknown, source: FeedbackSource = {}): Promise<FeedbackResult> {
    const quality = this.quality();
    const items = parseFeedbackBody(document, quality.maxBatch);
    const { model } = source;
    const other = model === undefined ? -1 : items.findIndex((i) => i.model !== undefined && i.model !== model);
    if (other >= 0) {
      throw new InvalidArgumentError(
        `feedback[${other}].model names another model than '${model}', the one this route labels; post it to that model's route`,
      );
    }
    const principal = source.principal ?? ANONYMOUS_PRINCIPAL;
    return quality.feedback.submit(items, model === undefined ? { principal } : { principal, model });
  }

  /** How many windows one quality report may compute (quality.max_windows). */
  maxQualityWindows(): number {
    return this.quality().reports.maxWindows;
  }

  /** Per window and version: the model's quality from the labels joined so far (the configured windows by default). */
  async qualityReport(model: string, windows?: QualityWindowSpec[]): Promise<QualityReport> {
    const quality = this.quality();
    if (!this.parts.data.index().some((e) => e.name === model)) {
      throw new NotFoundError(
        `unknown model '${model}'; see POST /v2/repository/index for the models this server knows`,
        'model_not_found',
      );
    }
    return quality.reports.report(model, windows);
  }

  // Drift.

  /** The drift of a model's ready versions; 404 for an unknown model, one without `drift:`, or none ready. */
  async driftReport(model: string): Promise<DriftReport> {
    const data = this.parts.data;
    const versions = this.readyVersions(model).map((version) => ({ version, config: data.config(model, version) }));
    const records = this.parts.drift.records(model, versions);
    if (!records.length) {
      throw new NotFoundError(
        `model '${model}' has no drift monitoring; add drift: { window: { rows: 1000 } } to its config.yaml and a profile.json to the version folder (inferd profile)`,
        'not_configured',
      );
    }
    await Promise.all(records.map((r) => r.ready())); // a first look reads the profiles
    return { model, versions: records, events: this.parts.drift.eventsOf(model) };
  }

  // The prediction log and feature writes.

  /** Recorded predictions, newest first. */
  async predictions(query: AuditQuery): Promise<StoredPrediction[]> {
    const audit = this.parts.audit;
    if (!audit) {
      throw new NotFoundError(
        'the audit trail is off on this server; set audit.enabled: true in the server config to record predictions',
        'not_configured',
      );
    }
    return audit.query(query);
  }

  /** Upserts the rows of a feature-rows document (`{"rows": [...]}`, features/ingest-rows.ts) into a view. */
  async writeFeatures(view: string, document: unknown): Promise<WriteResult> {
    const features = this.parts.features;
    if (!features) {
      throw new NotFoundError(
        `unknown feature view '${view}': this server has no features config (set features_config or put features.yaml in the model repository)`,
        'not_configured',
      );
    }
    return features.write(view, rowsFromJson(features.view(view), document));
  }

  private quality(): QualityServer {
    const quality = this.parts.quality;
    if (!quality) {
      throw new NotFoundError(
        'feedback needs the prediction log, which is off on this server; set audit.enabled: true in the server config',
        'not_configured',
      );
    }
    return quality;
  }

  /** The model's ready versions; a model with none (unloaded, or its load failed) has no drift to report: 404. */
  private readyVersions(model: string): readonly string[] {
    try {
      return this.parts.data.metadata(model).versions;
    } catch (err) {
      if (!(err instanceof ModelNotReadyError)) throw err;
      throw new NotFoundError(
        `model '${model}' has no ready version, so there is no drift to report (${err.message}); load it, or wait until it is ready`,
      );
    }
  }
}
