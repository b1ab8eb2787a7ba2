/**
 * The observers of every request (metrics, SLOs, logs) and the errors they have been told about already, so the
 * front ends report only the others.
 */
import { OverloadedError } from '../scheduler/overloaded-error.js';
import type { InferenceObserver, RequestObservation } from './observer.js';

/** The model label of requests refused before their model was known to exist. */
export const UNKNOWN_MODEL = '_unknown';

/** What an observation says about a failure: message, code and, for a shed request, why. */
export function failure(error: unknown): Pick<RequestObservation, 'error' | 'code' | 'shedReason'> {
  if (!(error instanceof Error)) return {};
  const code = (error as { code?: unknown }).code;
  return {
    error: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error instanceof OverloadedError ? { shedReason: error.reason } : {}),
  };
}

export class Observers {
  private readonly list: InferenceObserver[] = [];
  private readonly told = new WeakSet<object>();

  add(observer: InferenceObserver): void {
    this.list.push(observer);
  }

  started(): void {
    for (const o of this.list) o.started?.();
  }

  observe(observation: RequestObservation, error?: unknown): void {
    for (const o of this.list) o.observe(observation);
    if (typeof error === 'object' && error !== null) this.told.add(error);
  }

  /** True when the observers have counted the request that failed with `err`. */
  observed(err: unknown): boolean {
    return typeof err === 'object' && err !== null && this.told.has(err);
  }
}
