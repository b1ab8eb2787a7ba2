/**
 * Trace ids without the OpenTelemetry SDK: the caller's from a W3C traceparent header, or a fresh one when tracing
 * is on. The request log needs these on every start; the SDK and the OTLP exporter (tracing.ts) are loaded only
 * when an OTLP endpoint is configured.
 */
import type { SpanContext } from '@opentelemetry/api';
import type { ObservedRequest } from './request-metrics.js';

/** What the tracer needs from an observation beyond the metrics' view. */
export interface TracedRequest extends ObservedRequest {
  readonly startedMs?: number;
  readonly spans?: Readonly<Partial<Record<string, readonly [number, number]>>>;
  readonly requestId?: string | undefined;
  readonly traceparent?: string | undefined;
  /** The trace id chosen for this request (the caller's, else a fresh one): its spans and log line carry it. */
  readonly traceId?: string;
  readonly error?: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The caller's span context from a W3C traceparent header, or undefined when absent or malformed. */
export function parseTraceparent(header: string | undefined): SpanContext | undefined {
  const m = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return undefined;
  return { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16), isRemote: true };
}

const idBytes = Buffer.allocUnsafe(16);

/** A new random W3C trace id (32 hex digits, never all zeros; Math.random, as the SDK's RandomIdGenerator). */
export function freshTraceId(): string {
  for (let i = 0; i < 16; i += 4) idBytes.writeUInt32BE((Math.random() * 2 ** 32) >>> 0, i);
  if (idBytes.every((b) => b === 0)) idBytes[15] = 1;
  return idBytes.toString('hex');
}

/**
 * Gives each request its trace id before the observers see it: the caller's (traceparent) or, when tracing is on,
 * a fresh one for a request the core ran. The tracer's spans and the request log then carry the same id.
 */
export function withTraceIds<T extends TracedRequest>(
  tracing: boolean,
  observers: ReadonlyArray<{ observe(o: T): void }>,
): { observe(o: T): void } {
  return {
    observe(o: T): void {
      const traceId =
        parseTraceparent(o.traceparent)?.traceId ?? (tracing && o.startedMs !== undefined ? freshTraceId() : undefined);
      const traced = traceId === undefined ? o : { ...o, traceId };
      for (const observer of observers) observer.observe(traced);
    },
  };
}
