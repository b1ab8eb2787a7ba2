/**
 * What a door (the HTTP app, the gRPC server) is given to call: the data plane (inference, metadata, readiness,
 * statistics), the control plane (traffic, rollouts, quality, drift, predictions, features, repository) and the
 * security gate every request passes first. Doors translate wire formats; they reach nothing else.
 */
import type { ControlPlane } from '../control/control-plane.js';
import type { InferenceService } from '../inference/inference-service.js';
import type { SecurityGate } from '../security/security-gate.js';

export interface Planes {
  readonly data: InferenceService;
  readonly control: ControlPlane;
  /** Authentication, scopes and rate limits; absent: every caller is admitted (library use and tests). */
  readonly gate?: SecurityGate;
}
