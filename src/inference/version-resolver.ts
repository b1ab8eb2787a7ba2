/**
 * Which version answers a request. One resolver serves both the request path and pre-body admission, so
 * admission checks the queue of the version that will answer: the traffic policy's when the server has one
 * (routing/TrafficDirector), else the registry's (the named version, or the highest READY one).
 */
import type { ModelRegistry } from '../registry/model-registry.js';
import type { ModelVersion } from '../registry/model-version.js';
import type { Tensor } from '../tensor/index.js';

/** A request as resolution sees it. */
export interface ResolvedRequest {
  readonly model: string;
  readonly version?: string | undefined;
  readonly inputs: readonly Tensor[];
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
}

export interface VersionResolver {
  /** The version that answers the request. Throws NotFound / ModelNotReady with the reason. */
  choose(request: ResolvedRequest): ModelVersion;
  /** Every version choose() may answer with (more than one only when the pick is a random draw). */
  candidates(request: ResolvedRequest): ModelVersion[];
}

/** Resolution without a traffic policy: the named version, or the highest READY one. */
export function registryResolver(registry: ModelRegistry): VersionResolver {
  const choose = (request: ResolvedRequest) => registry.resolveReady(request.model, request.version);
  return { choose, candidates: (request) => [choose(request)] };
}
