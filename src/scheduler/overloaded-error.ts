import { UnavailableError } from '../errors/index.js';
import type { ShedReason } from './admission.js';

/** A request refused or shed under load: 503 with Retry-After, with the reason and priority for metrics. */
export class OverloadedError extends UnavailableError {
  constructor(message: string, readonly reason: ShedReason, readonly priority: number) {
    super(message, 1);
  }
}
