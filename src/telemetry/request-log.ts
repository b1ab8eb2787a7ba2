import { randomUUID } from 'node:crypto';
import type { Logger } from './logger.js';
import type { TracedRequest } from './trace-ids.js';
import { parseTraceparent } from './trace-ids.js';

export type RequestLogMode = 'none' | 'errors' | 'all';

/** Outcomes that are the server's failures: logged (warn) under `errors`. Shed requests are summed by ShedLog. */
const FAILURES = new Set(['error', 'timeout']);

/**
 * One structured log line per request (all) or per failed request (errors): request id (the request's `id`, else
 * a generated one), trace id (the caller's, or the request's own when tracing is on), model, version, protocol,
 * status (the outcome), latency, and for a failure its code and message. Never inputs or outputs, so nothing
 * sensitive reaches the log. Requests shed under load are logged one by one only under `all`: ShedLog writes one
 * summary per model and interval instead.
 */
export function requestLogger(logger: Logger, mode: RequestLogMode) {
  return {
    observe(o: TracedRequest & { readonly code?: string }): void {
      const failed = FAILURES.has(o.outcome);
      if (mode === 'none' || (mode === 'errors' && !failed)) return;
      const line = {
        request_id: o.requestId ?? randomUUID(),
        trace_id: o.traceId ?? parseTraceparent(o.traceparent)?.traceId,
        model: o.model,
        version: o.version,
        protocol: o.protocol,
        status: o.outcome,
        latency_ms: Math.round(o.seconds * 1e6) / 1e3,
        ...(o.code ? { code: o.code } : {}),
        ...(o.error ? { error: o.error } : {}),
      };
      if (failed) logger.warn(line, 'request failed');
      else logger.info(line, 'request');
    },
  };
}
