/**
 * Per-model-version scheduler: admission control, a priority queue, dynamic batching and dispatch to the
 * version's execution instances (one worker thread each). The main thread queues, joins and splits; it computes
 * only a lone request of a version that chose inline execution (inline-decision.ts), when nothing else is queued
 * or computing.
 */
import { EXPLANATION_OUTPUT, type ModelConfig } from '../config/index.js';
import { DeadlineExceededError, RejectedInputError, redactPaths } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { concatInputs, splitOutputs } from './batch-assembly.js';
import { planBatch, waitBeforeDispatch, type BatchPlan, type BatchPolicy } from './batch-policy.js';
import { batchKey, type Job, type ScheduleRequest, type ScheduleResult } from './job.js';
import { JobQueue } from './job-queue.js';
import { ModelStatistics } from './model-statistics.js';
import { decideAdmission, type AdmissionState, type ShedReason } from './admission.js';
import { AimdLimit } from './adaptive-limit.js';
import { OverloadedError } from './overloaded-error.js';
import { isolateFailure } from './isolate-failure.js';
import { runsInline, WORKERS_ONLY, type InlineDecision } from './inline-decision.js';
import { QueueDelayTimer, type DelayClock } from './queue-delay-timer.js';

/** One execution instance: a loaded copy of the model that runs one call at a time. */
export interface ExecutionInstance {
  runTimed(
    inputs: readonly Tensor[],
    outputNames: readonly string[],
  ): Promise<{ outputs: Tensor[]; computeNs: number }>;
  close(): Promise<void>;
  /** False once the instance can never run again (its worker exited); undefined when it cannot tell. */
  readonly running?: boolean | undefined;
}

const now = (): bigint => process.hrtime.bigint();

export interface SchedulerOptions {
  /** How lone requests run (inline-decision.ts) and, when inline, the main thread's own instance of the model. */
  readonly inline?: { readonly decision: InlineDecision; readonly instance?: ExecutionInstance | undefined };
  /** The clock of the queue delay (tests advance it). */
  readonly delayClock?: DelayClock;
}

export class ModelScheduler {
  readonly stats = new ModelStatistics();
  private readonly queue: JobQueue;
  private readonly idle: ExecutionInstance[];
  private readonly policy: BatchPolicy;
  private pumpScheduled = false;
  private readonly delay: QueueDelayTimer;
  /** The main thread's instance, present only when the version chose inline execution. */
  private readonly inlineInstance: ExecutionInstance | undefined;
  /** How lone requests run, as statistics report it. */
  readonly inline: InlineDecision;
  private running = 0;
  private closing = false;
  private drained: (() => void) | undefined;
  /** Requests queued or computing. */
  private inflight = 0;
  /** Rows of the requests in the queue. */
  private queuedRows = 0;
  /** Queued rows that are dispatched at once (the largest preferred batch size); 0: none. */
  private readonly eagerRows: number;
  private readonly adaptive: AimdLimit | undefined;
  /** What admission decisions read; getters, so deciding allocates nothing. */
  private readonly admission: AdmissionState;

  constructor(
    private readonly config: ModelConfig,
    private readonly label: string,
    private readonly instances: readonly ExecutionInstance[],
    options: SchedulerOptions = {},
  ) {
    this.delay = new QueueDelayTimer(() => this.pump(), options.delayClock);
    const decision = options.inline?.decision ?? WORKERS_ONLY;
    this.inlineInstance = decision.inline ? options.inline?.instance : undefined;
    // A decision for inline without an instance to run on (it failed to load) serves from the workers.
    this.inline = decision.inline && !this.inlineInstance ? { ...decision, inline: false } : decision;
    this.queue = new JobQueue(config.scheduling.priorityLevels);
    this.idle = [...instances];
    this.policy = {
      dynamicBatching: config.scheduling.dynamicBatching && config.maxBatchSize > 0,
      maxBatchSize: Math.max(1, config.maxBatchSize),
      preferredBatchSizes: config.scheduling.preferredBatchSizes,
      maxQueueDelayNs: BigInt(config.scheduling.maxQueueDelayMicroseconds) * 1000n,
    };
    const s = config.scheduling;
    this.eagerRows =
      this.policy.dynamicBatching && this.policy.preferredBatchSizes.length
        ? Math.max(...this.policy.preferredBatchSizes)
        : 0;
    this.adaptive = s.adaptiveConcurrency && new AimdLimit(s.adaptiveConcurrency);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters below read the scheduler's live counts
    const self = this;
    this.admission = {
      get closing() {
        return self.closing;
      },
      get queued() {
        return self.queue.size;
      },
      get inflight() {
        return self.inflight;
      },
      maxQueueSize: s.maxQueueSize,
      maxConcurrency: s.maxConcurrency ?? 0,
      get adaptiveLimit() {
        return self.adaptive?.limit ?? 0;
      },
      lowestQueuedLevel: () => this.queue.lowestOccupiedLevel(),
    };
  }

  /** Requests admitted and not yet answered (queued + computing). */
  get inFlight(): number {
    return this.inflight;
  }

  /** The adaptive in-flight limit now, or undefined when the model has none. */
  get concurrencyLimit(): number | undefined {
    return this.adaptive?.limit;
  }

  /** Requests waiting for an instance. */
  get queueDepth(): number {
    return this.queue.size;
  }

  /** Runtime calls executing now. */
  get executing(): number {
    return this.running;
  }

  /**
   * The error a request of `priority` would be refused with now (unloading, a limit reached and nothing of lower
   * priority to shed), or undefined if it would be queued. Before a request's body is read its priority is
   * unknown: the default, 1, refuses only what even the highest priority could not displace.
   */
  admissionError(priority = 1): OverloadedError | undefined {
    const decision = decideAdmission(this.admission, priority);
    return decision.kind === 'refuse' ? this.refusal(decision.reason, priority) : undefined;
  }

  /** Counts a request refused before it reached submit() (see admissionError). */
  recordRejection(refused: OverloadedError): void {
    if (refused.reason !== 'unloading') this.stats.recordShed(refused.reason, refused.priority);
  }

  private priorityOf(request: ScheduleRequest): number {
    const s = this.config.scheduling;
    return Math.min(Math.max(1, request.priority ?? s.defaultPriorityLevel), Math.max(1, s.priorityLevels));
  }

  private refusal(reason: ShedReason, priority: number): OverloadedError {
    const s = this.config.scheduling;
    const label = this.label;
    switch (reason) {
      case 'unloading':
        return new OverloadedError(
          `${label} is unloading; retry to reach another version or replica`,
          reason,
          priority,
        );
      case 'queue_full':
        return new OverloadedError(
          `${label} is overloaded: ${this.queue.size} requests are already queued (max_queue_size ${s.maxQueueSize}); retry later`,
          reason,
          priority,
        );
      case 'concurrency_limit':
        return new OverloadedError(
          `${label} is overloaded: ${this.inflight} requests are in flight (max_concurrency ${s.maxConcurrency}); retry later`,
          reason,
          priority,
        );
      case 'adaptive_limit':
        return new OverloadedError(
          `${label} is overloaded: ${this.inflight} requests are in flight, its adaptive limit now (latency target ${s.adaptiveConcurrency?.targetLatencyMs} ms); retry later`,
          reason,
          priority,
        );
      case 'evicted':
        return new OverloadedError(
          `${label} shed this priority-${priority} request under overload to admit one of higher priority; retry later`,
          reason,
          priority,
        );
    }
  }

  /** Sheds the newest queued request of `level` to make room for a higher-priority one. */
  private evict(level: number): void {
    const job = this.queue.popNewest(level);
    if (!job) return;
    this.queuedRows -= job.request.rows;
    job.settled = true;
    if (job.timer) clearTimeout(job.timer);
    this.inflight--;
    this.stats.recordShed('evicted', job.priority, Number(now() - job.enqueuedNs));
    job.reject(this.refusal('evicted', job.priority));
  }

  /** Queues a request; resolves with its outputs or rejects (queue full, timed out, runtime error). */
  submit(request: ScheduleRequest): Promise<ScheduleResult> {
    const s = this.config.scheduling;
    const priority = this.priorityOf(request);
    const decision = decideAdmission(this.admission, priority);
    if (decision.kind === 'refuse') {
      const refused = this.refusal(decision.reason, priority);
      this.recordRejection(refused);
      return Promise.reject(refused);
    }
    if (decision.kind === 'evict') this.evict(decision.level);
    const enqueuedNs = now();
    const timeoutUs = request.timeoutMicroseconds ?? s.defaultTimeoutMicroseconds;
    return new Promise<ScheduleResult>((resolve, reject) => {
      const job: Job = {
        request,
        key: this.policy.dynamicBatching ? batchKey(request.inputs) : '',
        priority,
        enqueuedNs,
        deadlineNs: timeoutUs > 0 ? enqueuedNs + BigInt(timeoutUs) * 1000n : undefined,
        timer: undefined,
        settled: false,
        resolve,
        reject,
      };
      if (timeoutUs > 0) job.timer = setTimeout(() => this.expire(job), Math.max(1, Math.ceil(timeoutUs / 1000)));
      this.queue.push(job);
      this.queuedRows += request.rows;
      this.inflight++;
      // A batch of the largest preferred size goes out at once, while an instance is free: the rest of a burst is
      // read and parsed while it computes. Otherwise dispatch after this event-loop turn, so requests that
      // arrived together are joined.
      if (this.eagerRows > 0 && this.queuedRows >= this.eagerRows && this.idle.length > 0) this.pump();
      else this.schedulePump();
    });
  }

  /** Stops taking requests and resolves once everything accepted has been answered. */
  drain(): Promise<void> {
    this.closing = true;
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  /** Drains, then releases the instances. */
  async close(): Promise<void> {
    await this.drain();
    await Promise.all([...this.instances, ...(this.inlineInstance ? [this.inlineInstance] : [])].map((i) => i.close()));
  }

  private isIdle(): boolean {
    return this.queue.size === 0 && this.running === 0;
  }

  /** Coalesces the requests that arrive in one event-loop turn before forming a batch. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    // The plan is made again here: a delay armed for an earlier one is void (and, left armed, would keep the
    // process alive for up to max_queue_delay after its batch went out). Armed again below if the plan still waits.
    this.disarmDelay();
    while (this.idle.length > 0 && this.queue.size > 0) {
      const plan = planBatch(this.queue.ordered(), this.policy);
      if (!plan) break;
      const wait = waitBeforeDispatch(plan, now(), this.policy);
      if (wait > 0n) {
        this.armDelay(wait);
        break;
      }
      const inline = this.takesInline(plan);
      this.queue.remove(plan.jobs);
      this.queuedRows -= plan.rows;
      void this.execute(inline ? this.inlineInstance! : this.idle.pop()!, plan);
    }
  }

  /** Whether `plan` runs on the main thread; a worker dispatch of a version that chose inline is counted as a fallback. */
  private takesInline(plan: BatchPlan): boolean {
    if (!this.inlineInstance) return false;
    const inline = runsInline(this.inline, {
      batchJobs: plan.jobs.length,
      batchRows: plan.rows,
      queued: this.queue.size,
      executing: this.running,
      explains: plan.jobs[0].request.outputs.includes(EXPLANATION_OUTPUT),
    });
    this.stats.recordDispatch(inline);
    return inline;
  }

  private disarmDelay(): void {
    this.delay.disarm();
  }

  private armDelay(waitNs: bigint): void {
    this.delay.arm(waitNs);
  }

  private expire(job: Job): void {
    if (job.settled) return;
    job.settled = true;
    this.queue.remove([job]);
    this.queuedRows -= job.request.rows;
    if (this.queue.size === 0) this.disarmDelay(); // nothing left to wait for company
    this.inflight--;
    const nowNs = now();
    this.adaptive?.onDrop(job.enqueuedNs, nowNs);
    const waitedMs = Number(nowNs - job.enqueuedNs) / 1e6;
    this.stats.recordFailure(Number(now() - job.enqueuedNs), 'timeout');
    job.reject(
      new DeadlineExceededError(
        `${this.label}: request waited ${waitedMs.toFixed(1)} ms in the queue, past its timeout; it was not run`,
      ),
    );
    this.checkDrained();
  }

  private outputNames(jobs: readonly Job[]): string[] {
    const wanted = new Set<string>();
    for (const j of jobs) for (const o of j.request.outputs) wanted.add(o);
    return this.config.outputs.map((o) => o.name).filter((n) => wanted.has(n));
  }

  private async execute(instance: ExecutionInstance, plan: BatchPlan): Promise<void> {
    const jobs = plan.jobs;
    for (const j of jobs) {
      j.settled = true;
      if (j.timer) clearTimeout(j.timer);
    }
    this.running++;
    const startNs = now();
    try {
      const failure = await this.attempt(instance, jobs, startNs);
      if (!failure) return;
      if (jobs.length === 1) return this.fail(jobs[0], failure);
      // One request's input may be what failed the call: find it, so that only it fails (isolate-failure.ts).
      const isolation = await isolateFailure(jobs, (part) => this.attempt(instance, part, startNs));
      this.stats.recordIsolation(isolation.runs);
      // A request that fails alone is the caller's when others of its batch were answered by the same instance,
      // still running: the model works, this input is what it rejects. Else the model failed them all.
      const modelWorks = isolation.answered > 0 && instance.running !== false;
      for (const [job, err] of isolation.failedAlone)
        this.fail(job, modelWorks ? this.rejectedInput(err, isolation.answered) : err);
    } finally {
      this.release(instance);
      this.checkDrained();
    }
  }

  /**
   * One runtime call for `jobs`, joined: answers each of them when it succeeds and resolves undefined; resolves with
   * the failure (leaving them unanswered) when the runtime or the split of its outputs fails.
   */
  private async attempt(
    instance: ExecutionInstance,
    jobs: readonly Job[],
    startNs: bigint,
  ): Promise<Error | undefined> {
    const rows = jobs.reduce((n, j) => n + j.request.rows, 0);
    let answer: Awaited<ReturnType<ExecutionInstance['runTimed']>>;
    let parts: Tensor[][];
    const joiningNs = now();
    let joinedNs: bigint;
    try {
      const inputs = concatInputs(jobs.map((j) => j.request.inputs));
      joinedNs = now();
      answer = await instance.runTimed(inputs, this.outputNames(jobs));
      parts =
        jobs.length === 1
          ? [answer.outputs]
          : splitOutputs(
              answer.outputs,
              jobs.map((j) => j.request.rows),
            );
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
    const { computeNs } = answer;
    const returnedNs = now();
    // The hand-off to and from the worker is split evenly between input and output time.
    const handoffNs = Math.max(0, Number(returnedNs - joinedNs) - computeNs) / 2;
    this.stats.recordExecution(rows, {
      inputNs: Number(joinedNs - joiningNs) + handoffNs,
      computeNs,
      outputNs: handoffNs + Number(now() - returnedNs),
    });
    const doneNs = now();
    this.inflight -= jobs.length;
    if (this.adaptive) this.sampleLatency(jobs, doneNs);
    jobs.forEach((job, i) => {
      const mine = parts[i].filter((t) => job.request.outputs.includes(t.name));
      const queueNs = Number(startNs - job.enqueuedNs);
      this.stats.recordSuccess(Number(doneNs - job.enqueuedNs), queueNs);
      job.resolve({ outputs: mine, queueNs, computeNs, batchRows: rows });
    });
    return undefined;
  }

  /** Answers a request with the failure of its runtime call. */
  private fail(job: Job, err: Error): void {
    this.inflight--;
    this.stats.recordFailure(Number(now() - job.enqueuedNs), 'error');
    job.reject(err);
  }

  /** The caller's error for a request that failed alone while `answered` others of its batch succeeded. */
  private rejectedInput(err: Error, answered: number): RejectedInputError {
    const reason = redactPaths(err.message.replace(/^internal error: /, ''));
    const others = answered === 1 ? '1 other request' : `${answered} other requests`;
    return new RejectedInputError(
      `${this.label} rejected this request's input: its run failed when retried on its own, while ${others} batched with it were answered. ` +
        `The runtime said: ${reason}. Check the input's values against what the model accepts (for example, indices within range).`,
      reason,
    );
  }

  /** Feeds the adaptive limit the queue+compute latency of the call's oldest request. */
  private sampleLatency(jobs: readonly Job[], doneNs: bigint): void {
    let oldest = jobs[0].enqueuedNs;
    for (const j of jobs) if (j.enqueuedNs < oldest) oldest = j.enqueuedNs;
    this.adaptive!.onSample({
      latencyNs: Number(doneNs - oldest),
      enqueuedNs: oldest,
      inflight: this.inflight + jobs.length,
      nowNs: doneNs,
    });
  }

  private release(instance: ExecutionInstance): void {
    this.running--;
    if (instance !== this.inlineInstance) this.idle.push(instance);
    this.pump();
  }

  private checkDrained(): void {
    if (this.drained && this.isIdle()) {
      const done = this.drained;
      this.drained = undefined;
      done();
    }
  }
}
