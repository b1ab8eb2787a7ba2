/**
 * Sticky routing over HTTP: the routing header's value (server config `routing_key_header`, default
 * `x-routing-key`) becomes the request parameter `routing_key`, unless the body already sets one, so the
 * traffic policy hashes it like a parameter.
 */
import type { InferenceRequest } from '../../inference/types.js';

/** The request with the header's value as `parameters.routing_key` (the body's own value wins). */
export function withRoutingHeader(request: InferenceRequest, value: string | string[] | undefined): InferenceRequest {
  const key = Array.isArray(value) ? value[0] : value;
  if (!key || request.parameters?.routing_key !== undefined) return request;
  return { ...request, parameters: { ...request.parameters, routing_key: key } };
}
