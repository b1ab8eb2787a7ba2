import type { Tensor } from '../tensor/index.js';

/** What a caller asks the scheduler to run: validated inputs in the model's input order. */
export interface ScheduleRequest {
  readonly inputs: readonly Tensor[];
  /** Output names the caller wants. */
  readonly outputs: readonly string[];
  /** Rows along the batch dimension (1 for non-batching models). */
  readonly rows: number;
  /** Priority level, 1 = highest. Undefined: the model's default. */
  readonly priority?: number;
  /** Queue timeout in microseconds. Undefined: the model's default. */
  readonly timeoutMicroseconds?: number;
  /**
   * Handed to the instance with the request when it runs alone (a model that does not batch); opaque to the
   * scheduler. A graph's executor reports its nodes' spans through it.
   */
  readonly context?: unknown;
}

export interface ScheduleResult {
  readonly outputs: Tensor[];
  readonly queueNs: number;
  readonly computeNs: number;
  /** Rows in the runtime call this request was part of. */
  readonly batchRows: number;
}

/** A queued request. */
export interface Job {
  readonly request: ScheduleRequest;
  /** Requests with equal keys can be joined into one batch: same datatypes and non-batch dimensions. */
  readonly key: string;
  readonly priority: number;
  readonly enqueuedNs: bigint;
  readonly deadlineNs: bigint | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
  resolve(result: ScheduleResult): void;
  reject(err: Error): void;
}

/** The joining key: each input's datatype and its dimensions after the batch dimension. */
export function batchKey(inputs: readonly ScheduleRequest['inputs'][number][]): string {
  let key = '';
  for (const t of inputs) key += `${t.datatype}[${t.shape.slice(1).join(',')}];`;
  return key;
}
