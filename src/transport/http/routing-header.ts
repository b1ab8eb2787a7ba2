/**
 * Sticky routing over HTTP: the routing header's value (server config `routing_key_header`, default
 * `x-routing-key`) becomes the request parameter `routing_key`, unless the body already sets one, so the
 * traffic policy hashes it like a parameter.
 */
import type { InferenceRequest } from '../../inference/types.js';

/** The routing header's value (the first, when repeated), or undefined. */
export function routingHeaderKey(value: string | string[] | undefined): string | undefined {
  const key = Array.isArray(value) ? value[0] : value;
  return key || undefined;
}

/** The request with the header's value as `parameters.routing_key` (the body's own value wins). */
export function withRoutingHeader(request: InferenceRequest, value: string | string[] | undefined): InferenceRequest {
  const key = routingHeaderKey(value);
  if (!key || request.parameters?.routing_key !== undefined) return request;
  return { ...request, parameters: { ...request.parameters, routing_key: key } };
}
