/**
 * Admission under overload: pure, over counts the scheduler keeps. A request is admitted while the queue
 * (`max_queue_size`) and the in-flight limits (`max_concurrency`, the adaptive limit) have room. When one is
 * reached, a request of higher priority than the lowest-priority queued request takes that request's place (the
 * newest of that level is evicted with 503); otherwise the arriving request is refused at once. So under
 * overload the lowest priority is shed first and the highest last.
 */

/** Why a request was refused (or, `evicted`, shed after it was queued). */
export type ShedReason = 'queue_full' | 'concurrency_limit' | 'adaptive_limit' | 'unloading' | 'evicted';
export const SHED_REASONS: readonly ShedReason[] = [
  'queue_full',
  'concurrency_limit',
  'adaptive_limit',
  'unloading',
  'evicted',
];

export interface AdmissionState {
  readonly closing: boolean;
  readonly queued: number;
  /** Queued + computing requests. */
  readonly inflight: number;
  /** 0: unbounded. */
  readonly maxQueueSize: number;
  /** 0: no limit. */
  readonly maxConcurrency: number;
  /** 0: no adaptive limit. */
  readonly adaptiveLimit: number;
  /** The lowest-priority (largest) level that has queued requests, 0 when none; asked only when a limit is reached. */
  lowestQueuedLevel(): number;
}

export type Admission =
  | { readonly kind: 'admit' }
  | { readonly kind: 'evict'; readonly level: number; readonly reason: ShedReason }
  | { readonly kind: 'refuse'; readonly reason: ShedReason };

const ADMIT: Admission = Object.freeze({ kind: 'admit' });

/** The limit the request runs into, if any. */
export function limitReached(s: AdmissionState): ShedReason | undefined {
  if (s.maxQueueSize > 0 && s.queued >= s.maxQueueSize) return 'queue_full';
  if (s.maxConcurrency > 0 && s.inflight >= s.maxConcurrency) return 'concurrency_limit';
  if (s.adaptiveLimit > 0 && s.inflight >= s.adaptiveLimit) return 'adaptive_limit';
  return undefined;
}

/** What to do with a request of `priority` (1 = highest). */
export function decideAdmission(s: AdmissionState, priority: number): Admission {
  if (s.closing) return { kind: 'refuse', reason: 'unloading' };
  const reason = limitReached(s);
  if (!reason) return ADMIT;
  const lowest = s.lowestQueuedLevel();
  return lowest > priority ? { kind: 'evict', level: lowest, reason } : { kind: 'refuse', reason };
}
