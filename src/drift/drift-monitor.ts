/**
 * Live drift per model version, off the request path. The core calls `tap` for every request (see
 * drift-tap.ts): a sampled request's profiled input and outputs are copied into a bounded buffer (per version,
 * `drift.buffer_rows`; beyond it rows are dropped and counted). On a later event-loop turn the buffered rows are
 * counted into the version's rolling window (fixed-size histograms over the profile's bins, see
 * drift-rolling-window.ts: memory does not grow with traffic), which is compared with the profile each time one
 * of its slices ends.
 * Threshold crossings become events (logged, listed at GET /v1/models/{m}/drift); a drifted window calls the
 * model's webhook at most once per cooldown.
 */
import type { ModelConfig } from '../config/index.js';
import type { Tensor } from '../tensor/index.js';
import type { Logger } from '../telemetry/logger.js';
import { crossings, MAX_DRIFT_EVENTS, type DriftEvent } from './drift-events.js';
import type { DriftTap } from './drift-tap.js';
import { VersionDrift } from './drift-version.js';
import { postDriftWebhook } from './drift-webhook.js';
import type { WindowReport } from './drift-window.js';
import { profilePath } from './profile-store.js';
import { basename, dirname } from 'node:path';

export interface DriftMonitorOptions {
  /**
   * The model repository: profiles are read from `<repository>/<model>/<version>/profile.json`. A function gives
   * a model's local folder instead (an artefact store's models are read from their cache folders).
   */
  readonly repository: string | ((model: string) => string);
  readonly logger: Logger;
  /** Epoch milliseconds; tests may pass their own. */
  readonly now?: () => number;
  /** Uniform in [0, 1), for sampling. */
  readonly random?: () => number;
  /** How often windows are checked for slices that ended by time (ms). */
  readonly tickMs?: number;
}

interface Pending {
  readonly state: VersionDrift;
  readonly input: Tensor;
  readonly outputs: readonly Tensor[];
  readonly rows: number;
}

/** Rows counted before the monitor yields the event loop (about 5 ms at 64 features). */
const ROWS_PER_TURN = 512;

const copyTensor = (t: Tensor): Tensor => ({
  name: t.name,
  datatype: t.datatype,
  shape: [...t.shape],
  data: t.data.slice(),
});

export class DriftMonitor implements DriftTap {
  private readonly versions = new Map<string, VersionDrift>();
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly events: DriftEvent[] = [];
  private readonly webhooks = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: DriftMonitorOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  start(): void {
    this.timer ??= setInterval(() => this.closeOldWindows(), this.options.tickMs ?? 1000).unref();
  }

  /** Counts what is buffered and waits for webhook calls in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.drain();
    await Promise.allSettled([...this.webhooks]);
  }

  tap(
    config: ModelConfig,
    version: string,
    inputs: readonly Tensor[],
  ): ((outputs: readonly Tensor[]) => void) | undefined {
    const drift = config.drift;
    if (!drift) return undefined;
    const state = this.stateOf(config, version);
    if (state.problem !== undefined || this.random() >= drift.sampleRate) return undefined;
    const name = state.profile?.input ?? config.inputs[0]?.name;
    const input = inputs.find((t) => t.name === name);
    const rows = input?.shape[0] ?? 0;
    if (!input || rows === 0) return undefined;
    if (state.queued + rows > drift.bufferRows) {
      state.dropped += rows;
      return undefined;
    }
    const copy = copyTensor(input);
    return (outputs) => {
      if (state.queued + rows > drift.bufferRows) {
        state.dropped += rows;
        return;
      }
      state.queued += rows;
      this.queue.push({ state, input: copy, outputs: outputs.map(copyTensor), rows });
      this.scheduled ??= setImmediate(() => {
        this.scheduled = undefined;
        void this.drain();
      });
    };
  }

  private profileOf(model: string, version: string): string {
    const repository = this.options.repository;
    return typeof repository === 'string'
      ? profilePath(repository, model, version)
      : profilePath(dirname(repository(model)), basename(repository(model)), version);
  }

  /** The version's record, made (and its profile read) the first time it is asked for. */
  stateOf(config: ModelConfig, version: string): VersionDrift {
    const key = `${config.name}/${version}`;
    let state = this.versions.get(key);
    if (!state) {
      const input =
        config.inputs.length === 1 && config.inputs[0].dims.length === 1 ? config.inputs[0].dims[0] : undefined;
      state = new VersionDrift(
        config.name,
        version,
        config.drift!,
        this.profileOf(config.name, version),
        input !== undefined && input > 0 ? input : undefined,
      );
      this.versions.set(key, state);
      void state.ready();
    }
    state.config = config.drift ?? state.config;
    return state;
  }

  /** A version loaded: a fresh record (its profile read again), replacing any its predecessor left. */
  attach(config: ModelConfig, version: string): VersionDrift {
    this.versions.delete(`${config.name}/${version}`);
    return this.stateOf(config, version);
  }

  /** A version closed: its record goes, unless a newer load of the same version replaced it already. */
  detach(record: VersionDrift): void {
    const key = `${record.model}/${record.version}`;
    if (this.versions.get(key) === record) this.versions.delete(key);
  }

  /** Counts everything buffered now (also what arrives meanwhile). */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      try {
        while (this.queue.length) {
          const batch = this.queue;
          this.queue = [];
          let rowsThisTurn = 0;
          for (const p of batch) {
            await p.state.ready();
            p.state.queued -= p.rows;
            this.count(p);
            rowsThisTurn += p.rows;
            if (rowsThisTurn >= ROWS_PER_TURN) {
              rowsThisTurn = 0;
              await new Promise((resolve) => setImmediate(resolve)); // let requests in between
            }
          }
        }
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  private count({ state, input, outputs, rows }: Pending): void {
    const profile = state.profile;
    if (!profile) return;
    if (input.data.length !== rows * profile.columns) {
      state.problem ??= `requests to ${state.model} v${state.version} carry ${input.data.length / rows} values per row in '${input.name}', but its profile describes ${profile.columns}; make the profile again`;
      return;
    }
    for (let r = 0; r < rows; r++) {
      const now = this.now();
      const report = state.windowOf(now).addRow(input.data, outputs, rows, r, now);
      state.rowsCounted++;
      if (report) this.evaluated(state, report);
    }
  }

  private closeOldWindows(): void {
    for (const state of this.versions.values()) {
      const report = state.window?.tick(this.now());
      if (report) this.evaluated(state, report);
    }
  }

  private evaluated(state: VersionDrift, report: WindowReport): void {
    state.record(report);
    for (const e of crossings(state.model, state.version, report, state.drifted)) {
      this.events.push(e);
      const fields = {
        model: e.model,
        version: e.version,
        feature: e.feature,
        statistic: e.statistic,
        value: e.value,
        threshold: e.threshold,
        window_rows: e.windowRows,
      };
      if (e.type === 'drift_detected')
        this.options.logger.warn(
          fields,
          `drift: ${e.model} v${e.version} ${e.feature} ${e.statistic} ${e.value.toFixed(4)} > ${e.threshold}`,
        );
      else
        this.options.logger.info(
          fields,
          `drift cleared: ${e.model} v${e.version} ${e.feature} ${e.statistic} ${e.value.toFixed(4)} <= ${e.threshold}`,
        );
    }
    if (this.events.length > MAX_DRIFT_EVENTS) this.events.splice(0, this.events.length - MAX_DRIFT_EVENTS);
    if (report.drifted && state.config.webhook && state.takeWebhookTurn(this.now())) this.callWebhook(state, report);
  }

  private callWebhook(state: VersionDrift, report: WindowReport): void {
    const webhook = state.config.webhook!;
    const drifted = [
      ...report.features.map((f) => ['input', f] as const),
      ...report.predictions.map((f) => ['prediction', f] as const),
    ].flatMap(([source, f]) =>
      f.statistics
        .filter((s) => s.drifted)
        .map((s) => ({ source, feature: f.feature, statistic: s.statistic, value: s.value, threshold: s.threshold })),
    );
    const body = {
      event: 'drift',
      model: state.model,
      version: state.version,
      window: {
        rows: report.rows,
        started_at: new Date(report.startedMs).toISOString(),
        ended_at: new Date(report.endedMs).toISOString(),
      },
      drifted,
    };
    const call = postDriftWebhook(webhook, body).then(
      (status) => {
        if (status >= 200 && status < 300) state.webhook.sent++;
        else {
          state.webhook.failed++;
          this.options.logger.warn(
            { model: state.model, version: state.version, url: webhook.url, status },
            `drift webhook answered ${status}`,
          );
        }
      },
      (err: unknown) => {
        state.webhook.failed++;
        this.options.logger.warn(
          { model: state.model, version: state.version, url: webhook.url, err: (err as Error).message },
          'drift webhook failed',
        );
      },
    );
    this.webhooks.add(call);
    void call.finally(() => this.webhooks.delete(call));
  }

  /** The records of a model's versions (those given, in order), for the report. */
  records(
    model: string,
    versions: ReadonlyArray<{ readonly version: string; readonly config: ModelConfig }>,
  ): VersionDrift[] {
    return versions.filter((v) => v.config.drift).map((v) => this.stateOf(v.config, v.version));
  }

  /** Every record, for metrics. */
  allRecords(): VersionDrift[] {
    return [...this.versions.values()];
  }

  /** The last evaluations' statistics, for the drift metrics (telemetry/drift-metrics.ts). */
  statisticRows() {
    return this.allRecords().flatMap((v) => {
      const rows = v.last
        ? [
            ...v.last.features.map((f) => ['input', f] as const),
            ...v.last.predictions.map((f) => ['prediction', f] as const),
          ]
        : [];
      return rows.flatMap(([source, f]) =>
        f.statistics.map((s) => ({
          model: v.model,
          version: v.version,
          feature: f.feature,
          source,
          statistic: s.statistic,
          value: s.value,
          threshold: s.threshold,
          drifted: s.drifted,
        })),
      );
    });
  }

  /** Per-version counts, for the drift metrics. */
  versionRows() {
    return this.allRecords().map((v) => ({
      model: v.model,
      version: v.version,
      evaluations: v.evaluations,
      rowsCounted: v.rowsCounted,
      rowsDropped: v.dropped,
      windowRows: v.window?.rows ?? 0,
      webhookSent: v.webhook.sent,
      webhookFailed: v.webhook.failed,
      webhookSuppressed: v.webhook.suppressed,
    }));
  }

  /** The model's events, oldest first. */
  eventsOf(model: string): DriftEvent[] {
    return this.events.filter((e) => e.model === model);
  }
}
