/** Why a server is not ready: a model it is meant to serve, or a dependency its requests need, and the reason. */
export interface NotReadyReason {
  /** The model that is not serving. */
  readonly model?: string;
  /** The dependency that is failing (e.g. 'audit_store'). */
  readonly dependency?: string;
  /** What is wrong, without secrets or absolute paths. */
  readonly reason: string;
}

/** The registry's part of readiness: the models. */
export interface ModelReadiness {
  readonly ready: boolean;
  readonly reasons: readonly NotReadyReason[];
}
