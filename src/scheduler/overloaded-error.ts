import { UnavailableError, type CodeOf } from '../errors/index.js';
import type { ShedReason } from './admission.js';

/** The code a caller sees for each reason a request is refused or shed. */
const CODE: Record<ShedReason, CodeOf<'UNAVAILABLE'>> = {
  queue_full: 'queue_full',
  concurrency_limit: 'concurrency_limit',
  adaptive_limit: 'adaptive_limit',
  unloading: 'version_unloading',
  evicted: 'priority_shed',
};

/** A request refused or shed under load: 503 with Retry-After, with the reason and priority for metrics. */
export class OverloadedError extends UnavailableError {
  constructor(
    message: string,
    readonly reason: ShedReason,
    readonly priority: number,
  ) {
    super(message, 1, CODE[reason]);
  }
}
