/**
 * The audit trail (prediction log): samples requests, takes their redacted inputs before they run and their
 * outputs after, and hands the records to the writer, which commits them in batches off the request path.
 * Retention deletes old records periodically. Lifetime: start() opens the store, stop() writes what is
 * buffered and closes it.
 *
 * @example
 * const entry = await trail.begin(request);   // undefined when not sampled; waits only under backpressure
 * const response = await run(request);
 * await entry?.finish(response);              // resolves at once unless durability is acknowledged
 */
import type { AuditConfig } from '../config/audit-config.js';
import type { AuditMetrics } from '../telemetry/audit-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { Tensor } from '../tensor/index.js';
import type { AuditQuery, AuditRecord, StoredPrediction, TensorSnapshot } from './audit-record.js';
import type { AuditSink } from './audit-sink.js';
import { isSampled, retentionCutoff } from './audit-policy.js';
import { AuditWriter } from './audit-writer.js';
import { StoreHealth } from './store-health.js';
import { redactionPolicy, redactParameters, type RedactionPolicy } from './redaction.js';
import { snapshotTensors } from './snapshot.js';
import { timeOrderedId } from './request-id.js';
import { ANONYMOUS_PRINCIPAL } from './prediction-row.js';

/** What the trail needs of a request (InferenceRequest fits). */
export interface AuditableRequest {
  readonly model: string;
  readonly id?: string | undefined;
  readonly inputs: readonly Tensor[];
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
  readonly protocol?: string;
  /** The name the client claimed (x-inferd-caller): kept, never trusted. */
  readonly caller?: string | undefined;
  /** The authenticated principal's id; absent when auth is off. */
  readonly principal?: string | undefined;
}

/** What the trail needs of a response (InferenceResponse fits). */
export interface AuditableResponse {
  readonly version: string;
  readonly outputs: readonly Tensor[];
}

export interface AuditTrailOptions {
  readonly config: AuditConfig;
  readonly sink: AuditSink;
  readonly metrics: AuditMetrics;
  readonly logger: Logger;
  /** Clock, ms since the epoch (tests pass their own). */
  readonly now?: () => number;
  /** Uniform draws in [0, 1) for sampling. */
  readonly random?: () => number;
  /** How often retention runs; default hourly. */
  readonly retentionIntervalMs?: number;
}

/** How often the store is probed when requests depend on it, unless the config says otherwise. */
const DEFAULT_HEALTH_PROBE_MS = 5000;

/** Longest caller name kept; the header is the client's to fill. */
const MAX_CALLER_LENGTH = 256;

/**
 * Who asked, as recorded: the authenticated principal when there is one (the claimed name is kept apart), else
 * the claimed name (labelled claimed when read back) or 'anonymous'.
 */
function callerFields(request: AuditableRequest): Pick<AuditRecord, 'caller' | 'principal' | 'claimedCaller'> {
  const claimed = request.caller ? request.caller.slice(0, MAX_CALLER_LENGTH) : undefined;
  const principal = request.principal && request.principal !== ANONYMOUS_PRINCIPAL ? request.principal : undefined;
  return {
    caller: principal ?? claimed ?? ANONYMOUS_PRINCIPAL,
    principal: principal ?? ANONYMOUS_PRINCIPAL,
    claimedCaller: claimed,
  };
}

/** A sampled request in progress: its inputs are already taken. */
export class AuditEntry {
  private readonly started = performance.now();

  constructor(
    private readonly trail: AuditTrail,
    private readonly request: Omit<AuditRecord, 'timeMs' | 'version' | 'latencyMs' | 'outputs'>,
  ) {}

  /** Records the answer. Returns a promise only in acknowledged mode: it settles when the record is committed. */
  finish(response: AuditableResponse): Promise<void> | undefined {
    return this.trail.record({
      ...this.request,
      version: response.version,
      outputs: this.trail.snapshot(response.outputs, 'outputs'),
      latencyMs: performance.now() - this.started,
      timeMs: this.trail.now(),
    });
  }
}

export class AuditTrail {
  readonly now: () => number;
  private readonly random: () => number;
  private readonly policy: RedactionPolicy;
  private readonly writer: AuditWriter;
  private retentionTimer: NodeJS.Timeout | undefined;
  private retention: Promise<number> | undefined;
  private readonly health = new StoreHealth();
  private probeTimer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;

  constructor(private readonly options: AuditTrailOptions) {
    const c = options.config;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.policy = redactionPolicy(c.redact);
    this.writer = new AuditWriter({
      sink: options.sink,
      capacity: c.bufferSize,
      overflow: c.overflow,
      acknowledged: c.durability === 'acknowledged',
      backpressureWaitMs: c.backpressureWaitMs,
      metrics: options.metrics,
      logger: options.logger,
      health: this.health,
    });
  }

  /** Opens the store and starts retention (a first pass now, then every retentionIntervalMs). */
  async start(): Promise<void> {
    await this.options.sink.start();
    if (this.requestsDependOnStore()) {
      this.probeTimer = setInterval(
        () => void this.probe(),
        this.options.config.healthProbeMs ?? DEFAULT_HEALTH_PROBE_MS,
      );
      this.probeTimer.unref();
    }
    if (this.options.config.retentionDays > 0) {
      const run = () => void (this.retention ??= this.runRetention().finally(() => (this.retention = undefined)));
      this.retentionTimer = setInterval(run, this.options.retentionIntervalMs ?? 3_600_000);
      this.retentionTimer.unref();
      run();
    }
  }

  /**
   * Starts recording a request: undefined when it is not sampled. Takes its inputs now (they move to a worker
   * thread when it runs). Waits only when the buffer is full under backpressure or acknowledged durability.
   */
  begin(request: AuditableRequest): AuditEntry | Promise<AuditEntry> | undefined {
    if (!isSampled(this.options.config.sampleRate, this.random())) return undefined;
    const entry = new AuditEntry(this, {
      requestId: request.id ?? timeOrderedId(this.now()),
      ...callerFields(request),
      model: request.model,
      protocol: request.protocol ?? 'library',
      inputs: this.snapshot(request.inputs, 'inputs'),
      parameters: redactParameters(request.parameters, this.policy),
    });
    const room = this.writer.waitForRoom();
    return room ? room.then(() => entry) : entry;
  }

  /** Copies (at most max_elements per tensor) and redacts tensors for a record. */
  snapshot(tensors: readonly Tensor[], section: 'inputs' | 'outputs'): TensorSnapshot[] {
    return snapshotTensors(tensors, { policy: this.policy, section, maxElements: this.options.config.maxElements });
  }

  /** Buffers a finished record (AuditEntry.finish calls this). */
  record(record: AuditRecord): Promise<void> | undefined {
    return this.writer.push(record, this.options.config.durability === 'acknowledged');
  }

  /**
   * True when requests fail while the store cannot commit: acknowledged durability (answers wait for the commit)
   * or backpressure (the buffer fills, then requests are refused). With overflow drop they are answered anyway.
   */
  requestsDependOnStore(): boolean {
    return this.options.config.durability === 'acknowledged' || this.options.config.overflow === 'backpressure';
  }

  /**
   * Why requests fail because of the store, or undefined: the last write or probe failed (acknowledged durability
   * or backpressure only). No path or URL: the sinks' messages carry neither.
   */
  readinessProblem(): string | undefined {
    const failure = this.health.problem;
    if (failure === undefined || !this.requestsDependOnStore()) return undefined;
    const mode =
      this.options.config.durability === 'acknowledged'
        ? 'audit.durability is acknowledged'
        : 'audit.overflow is backpressure';
    return `the ${this.options.sink.kind} audit store cannot commit (${failure}); sampled requests are refused while ${mode}`;
  }

  /** Commits a probe row now (one at a time); the result decides readinessProblem() until the next write or probe. */
  probe(): Promise<void> {
    this.probing ??= this.options.sink
      .probe()
      .then(
        () => this.health.ok(),
        (err: unknown) => this.health.failed(err),
      )
      .finally(() => (this.probing = undefined));
    return this.probing;
  }

  /** Stored records matching the filters, newest first. Records still buffered are not included. */
  query(query: AuditQuery): Promise<StoredPrediction[]> {
    return this.options.sink.query(query);
  }

  /** Resolves once everything recorded so far is written. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Deletes records older than retention_days; resolves with how many. Errors are logged, not thrown. */
  async runRetention(): Promise<number> {
    const cutoff = retentionCutoff(this.now(), this.options.config.retentionDays);
    if (cutoff === undefined) return 0;
    try {
      const deleted = await this.options.sink.deleteBefore(cutoff);
      if (deleted > 0)
        this.options.logger.info(
          { deleted, before: new Date(cutoff).toISOString() },
          'audit retention: old records deleted',
        );
      return deleted;
    } catch (err) {
      this.options.logger.warn(
        { err, store: this.options.sink.kind },
        'audit retention failed; it runs again at the next interval',
      );
      return 0;
    }
  }

  /** Writes what is buffered, then closes the store. */
  async stop(): Promise<void> {
    clearInterval(this.retentionTimer);
    clearInterval(this.probeTimer);
    await this.retention;
    await this.probing;
    await this.writer.stop();
    await this.options.sink.stop();
  }
}
