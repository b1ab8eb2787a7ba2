/** inferd as a library: the in-process core, the server, and the types they speak. */
export { Inferd, type InferdOptions } from './inferd.js';
export type { ControlPlane, DriftReport, FeedbackSource } from './control/control-plane.js';
export { startServer, type RunningServer } from './main.js';
export { resolveServerConfig, type ServerConfig, type ModelConfig } from './config/index.js';
export type { InferenceRequest, InferenceResponse, RequestedOutput } from './inference/types.js';
export type { ModelMetadata, TensorMetadata } from './inference/model-metadata.js';
export type { Tensor, TensorSpec, Datatype, TensorData } from './tensor/index.js';
export * from './errors/index.js';
export { ModelRepositoryError, type ModelRepositoryProblem } from './repository/model-repository-error.js';
export { VERSION } from './version.js';
