import type { Logger } from './logger.js';
import type { TracedRequest } from './tracing.js';
import { parseTraceparent } from './tracing.js';

export type RequestLogMode = 'none' | 'errors' | 'all';

/**
 * One structured log line per request (all) or per failed request (errors): request id, trace id, model, version,
 * protocol, outcome and latency. Never inputs or outputs, so nothing sensitive reaches the log.
 */
export function requestLogger(logger: Logger, mode: RequestLogMode) {
  return {
    observe(o: TracedRequest): void {
      const failed = o.outcome !== 'success' && o.outcome !== 'client_error';
      if (mode === 'none' || (mode === 'errors' && !failed)) return;
      const line = {
        request_id: o.requestId,
        trace_id: parseTraceparent(o.traceparent)?.traceId,
        model: o.model,
        version: o.version,
        protocol: o.protocol,
        status: o.outcome,
        latency_ms: Math.round(o.seconds * 1e6) / 1e3,
        ...(o.error ? { error: o.error } : {}),
      };
      if (failed) logger.warn(line, 'request failed');
      else logger.info(line, 'request');
    },
  };
}
