/**
 * Per-model-version scheduler: admission control, a priority queue, dynamic batching and dispatch to the
 * version's execution instances (one worker thread each). The main thread only queues, joins and splits.
 */
import type { ModelConfig } from '../config/index.js';
import { DeadlineExceededError, UnavailableError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { concatInputs, splitOutputs } from './batch-assembly.js';
import { planBatch, waitBeforeDispatch, type BatchPlan, type BatchPolicy } from './batch-policy.js';
import { batchKey, type Job, type ScheduleRequest, type ScheduleResult } from './job.js';
import { JobQueue } from './job-queue.js';
import { ModelStatistics } from './model-statistics.js';

/** One execution instance: a loaded copy of the model that runs one call at a time. */
export interface ExecutionInstance {
  runTimed(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<{ outputs: Tensor[]; computeNs: number }>;
  close(): Promise<void>;
}

const now = (): bigint => process.hrtime.bigint();

export class ModelScheduler {
  readonly stats = new ModelStatistics();
  private readonly queue: JobQueue;
  private readonly idle: ExecutionInstance[];
  private readonly policy: BatchPolicy;
  private pumpScheduled = false;
  private delayTimer: ReturnType<typeof setTimeout> | undefined;
  private running = 0;
  private closing = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly config: ModelConfig,
    private readonly label: string,
    private readonly instances: readonly ExecutionInstance[],
  ) {
    this.queue = new JobQueue(config.scheduling.priorityLevels);
    this.idle = [...instances];
    this.policy = {
      dynamicBatching: config.scheduling.dynamicBatching && config.maxBatchSize > 0,
      maxBatchSize: Math.max(1, config.maxBatchSize),
      preferredBatchSizes: config.scheduling.preferredBatchSizes,
      maxQueueDelayNs: BigInt(config.scheduling.maxQueueDelayMicroseconds) * 1000n,
    };
  }

  /** Requests waiting for an instance. */
  get queueDepth(): number {
    return this.queue.size;
  }

  /** Runtime calls executing now. */
  get executing(): number {
    return this.running;
  }

  /** The error a request would be refused with now (unloading, queue full), or undefined if it would be queued. */
  admissionError(): UnavailableError | undefined {
    const s = this.config.scheduling;
    if (this.closing) return new UnavailableError(`${this.label} is unloading; retry to reach another version or replica`);
    if (s.maxQueueSize > 0 && this.queue.size >= s.maxQueueSize) {
      return new UnavailableError(`${this.label} is overloaded: ${this.queue.size} requests are already queued (max_queue_size ${s.maxQueueSize}); retry later`);
    }
    return undefined;
  }

  /** Counts a request refused before it reached submit() (see admissionError). */
  recordRejection(): void {
    this.stats.recordFailure(0, 'rejected');
  }

  /** Queues a request; resolves with its outputs or rejects (queue full, timed out, runtime error). */
  submit(request: ScheduleRequest): Promise<ScheduleResult> {
    const s = this.config.scheduling;
    const refused = this.admissionError();
    if (refused) {
      if (!this.closing) this.recordRejection();
      return Promise.reject(refused);
    }
    const enqueuedNs = now();
    const timeoutUs = request.timeoutMicroseconds ?? s.defaultTimeoutMicroseconds;
    return new Promise<ScheduleResult>((resolve, reject) => {
      const job: Job = {
        request,
        key: this.policy.dynamicBatching ? batchKey(request.inputs) : '',
        priority: Math.min(Math.max(1, request.priority ?? s.defaultPriorityLevel), Math.max(1, s.priorityLevels)),
        enqueuedNs,
        deadlineNs: timeoutUs > 0 ? enqueuedNs + BigInt(timeoutUs) * 1000n : undefined,
        timer: undefined,
        settled: false,
        resolve,
        reject,
      };
      if (timeoutUs > 0) job.timer = setTimeout(() => this.expire(job), Math.max(1, Math.ceil(timeoutUs / 1000)));
      this.queue.push(job);
      // Dispatch after this event-loop turn, so requests that arrived together are joined.
      this.schedulePump();
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
    await Promise.all(this.instances.map((i) => i.close()));
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
    while (this.idle.length > 0 && this.queue.size > 0) {
      const plan = planBatch(this.queue.ordered(), this.policy);
      if (!plan) break;
      const wait = waitBeforeDispatch(plan, now(), this.policy);
      if (wait > 0n) {
        this.armDelay(wait);
        break;
      }
      this.queue.remove(plan.jobs);
      const instance = this.idle.pop()!;
      void this.execute(instance, plan);
    }
  }

  private armDelay(waitNs: bigint): void {
    if (this.delayTimer) return;
    this.delayTimer = setTimeout(() => {
      this.delayTimer = undefined;
      this.pump();
    }, Math.max(1, Number(waitNs / 1_000_000n)));
  }

  private expire(job: Job): void {
    if (job.settled) return;
    job.settled = true;
    this.queue.remove([job]);
    const waitedMs = Number(now() - job.enqueuedNs) / 1e6;
    this.stats.recordFailure(Number(now() - job.enqueuedNs), 'timeout');
    job.reject(new DeadlineExceededError(`${this.label}: request waited ${waitedMs.toFixed(1)} ms in the queue, past its timeout; it was not run`));
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
    let released = false;
    try {
      const inputs = concatInputs(jobs.map((j) => j.request.inputs));
      const joinedNs = now();
      const { outputs, computeNs } = await instance.runTimed(inputs, this.outputNames(jobs));
      const returnedNs = now();
      released = true;
      this.release(instance);
      const parts = jobs.length === 1 ? [outputs] : splitOutputs(outputs, jobs.map((j) => j.request.rows));
      // The hand-off to and from the worker is split evenly between input and output time.
      const handoffNs = Math.max(0, Number(returnedNs - joinedNs) - computeNs) / 2;
      this.stats.recordExecution(plan.rows, {
        inputNs: Number(joinedNs - startNs) + handoffNs,
        computeNs,
        outputNs: handoffNs + Number(now() - returnedNs),
      });
      const doneNs = now();
      jobs.forEach((job, i) => {
        const mine = parts[i].filter((t) => job.request.outputs.includes(t.name));
        const queueNs = Number(startNs - job.enqueuedNs);
        this.stats.recordSuccess(Number(doneNs - job.enqueuedNs), queueNs);
        job.resolve({ outputs: mine, queueNs, computeNs, batchRows: plan.rows });
      });
    } catch (err) {
      if (!released) this.release(instance);
      const doneNs = now();
      for (const job of jobs) {
        this.stats.recordFailure(Number(doneNs - job.enqueuedNs), 'error');
        job.reject(err as Error);
      }
    } finally {
      this.checkDrained();
    }
  }

  private release(instance: ExecutionInstance): void {
    this.running--;
    this.idle.push(instance);
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
