/**
 * A request the model version has answered: the control for a failure that bisection cannot split. When a call's
 * requests all fail on their own (one request alone in its call, or every request of a batch), nothing in the call
 * shows whether the model still works; running a request it answered before, on the same instance, right after,
 * does. If that run succeeds, the model works and the failed input is what it rejects (the caller's, 400); if it
 * fails too, the model is at fault (500).
 *
 * One request is kept per scheduler: the smallest of those answered, the newest among equals (a single-row request
 * in practice), held by reference (its tensors are not copied on the hot path) and copied only when it is run.
 * A request whose buffers were moved to the runtime's worker (empty once moved) is not kept.
 */
import type { Tensor } from '../tensor/index.js';
import type { ScheduleRequest } from './job.js';

/** What a control run needs of an answered request. */
export interface ControlRequest {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly string[];
}

function elements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True while every input still holds all its elements (a buffer moved to a worker has none). */
function intact(inputs: readonly Tensor[]): boolean {
  return inputs.every((t) => t.data.length === elements(t.shape));
}

function copyOf(t: Tensor): Tensor {
  return { name: t.name, datatype: t.datatype, shape: [...t.shape], data: t.data.slice() };
}

export class KnownGoodRequest {
  private kept: ScheduleRequest | undefined;

  /** Offers a request that was just answered; kept when it is no larger than the one held. */
  offer(request: ScheduleRequest): void {
    if (this.kept && request.rows > this.kept.rows) return;
    if (intact(request.inputs)) this.kept = request;
  }

  /** A copy of the request kept, to run as a control; undefined when none has been answered (or it was lost). */
  control(): ControlRequest | undefined {
    const kept = this.kept;
    if (!kept) return undefined;
    if (!intact(kept.inputs)) {
      this.kept = undefined;
      return undefined;
    }
    return { inputs: kept.inputs.map(copyOf), outputs: kept.outputs };
  }
}
