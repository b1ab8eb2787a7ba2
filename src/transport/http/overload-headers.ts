/**
 * Overload and fallback over HTTP: `x-inferd-priority` gives a request's priority level before its body is read
 * (so a full server refuses low priorities without parsing them; the body's `parameters.priority` wins when both
 * are given), and `x-inferd-fallback: <reason>` marks an answer given by the model's fallback.
 */
import type { FastifyReply } from 'fastify';
import type { InferenceRequest, InferenceResponse } from '../../inference/types.js';

export const PRIORITY_HEADER = 'x-inferd-priority';
export const FALLBACK_HEADER = 'x-inferd-fallback';

/** The header's priority level, or undefined when absent or not a whole number ≥ 1 (the body's rules then apply). */
export function priorityHeader(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^[1-9]\d{0,5}$/.test(text)) return undefined;
  return Number(text);
}

/** The request with the header's priority as `parameters.priority`, unless the body sets one. */
export function withPriorityHeader(request: InferenceRequest, value: string | string[] | undefined): InferenceRequest {
  const priority = priorityHeader(value);
  if (priority === undefined || request.parameters?.priority !== undefined) return request;
  return { ...request, parameters: { ...request.parameters, priority } };
}

/** Sets `x-inferd-fallback` when the answer came from a fallback. */
export function markFallback(reply: FastifyReply, response: InferenceResponse): void {
  if (response.parameters?.fallback === true)
    void reply.header(FALLBACK_HEADER, String(response.parameters.fallback_reason));
}
