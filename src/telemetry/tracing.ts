/**
 * OpenTelemetry tracing. Spans are built when a request finishes, from the timeline the core recorded, so a
 * request pays nothing for tracing until it is known to be kept: head-sampled by trace id (ratio), sampled
 * upstream (W3C traceparent flag), failed, or slow. With no OTLP endpoint configured nothing is registered at all.
 *
 * Span tree: `ingress` (SERVER, child of the caller's span when a traceparent came in) with children
 * `features`, `validation`, `queue`, `inference`, `postprocess`, each with model and version attributes.
 */
import { context, trace, SpanKind, SpanStatusCode, TraceFlags, type SpanContext, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AlwaysOnSampler, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ObservedRequest } from './request-metrics.js';

export interface TracingOptions {
  /** OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces. */
  readonly endpoint: string;
  /** Share of requests traced (by trace id); failed and slow requests are always traced. */
  readonly sampleRatio: number;
  /** Requests slower than this are always traced. */
  readonly slowMs: number;
  readonly serviceName: string;
}

/** What the tracer needs from an observation beyond the metrics' view. */
export interface TracedRequest extends ObservedRequest {
  readonly startedMs?: number;
  readonly spans?: Readonly<Partial<Record<string, readonly [number, number]>>>;
  readonly requestId?: string;
  readonly traceparent?: string;
  readonly error?: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The caller's span context from a W3C traceparent header, or undefined when absent or malformed. */
export function parseTraceparent(header: string | undefined): SpanContext | undefined {
  const m = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return undefined;
  return { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16), isRemote: true };
}

/** Deterministic head sampling: the same trace id gets the same decision on every service. */
function sampledByRatio(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return parseInt(traceId.slice(-8), 16) / 0x100000000 < ratio;
}

const toEpochMs = (ms: number) => performance.timeOrigin + ms;

export class Tracing {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;

  constructor(private readonly options: TracingOptions) {
    const exporter = new OTLPTraceExporter({ url: options.endpoint });
    this.provider = new TracerProvider({
      sampler: new AlwaysOnSampler(), // the keep/drop decision is made before any span exists
      spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500, maxQueueSize: 16384, maxExportBatchSize: 2048 })],
    });
    this.tracer = this.provider.getTracer(options.serviceName);
  }

  /** Observer hook: builds and exports the request's spans if the request is kept. */
  observe(o: TracedRequest): void {
    if (o.startedMs === undefined) return;
    const parent = parseTraceparent(o.traceparent);
    const keep =
      (parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) !== 0) ||
      o.outcome !== 'success' ||
      o.seconds * 1000 >= this.options.slowMs ||
      sampledByRatio(parent?.traceId ?? randomTraceTail(), this.options.sampleRatio);
    if (!keep) return;
    this.record(o, parent);
  }

  private record(o: TracedRequest, parent: SpanContext | undefined): void {
    const attributes = {
      'inferd.model': o.model,
      'inferd.model_version': o.version,
      'inferd.protocol': o.protocol,
      'inferd.outcome': o.outcome,
      ...(o.requestId ? { 'inferd.request_id': o.requestId } : {}),
      ...(o.batchRows ? { 'inferd.batch_rows': o.batchRows } : {}),
    };
    const parentContext = parent ? trace.setSpanContext(context.active(), parent) : context.active();
    const root = this.tracer.startSpan('ingress', { kind: SpanKind.SERVER, startTime: toEpochMs(o.startedMs!), attributes }, parentContext);
    const rootContext = trace.setSpan(context.active(), root);
    for (const [name, [start, end]] of Object.entries(o.spans ?? {}) as Array<[string, readonly [number, number]]>) {
      this.tracer.startSpan(name, { startTime: toEpochMs(start), attributes: { 'inferd.model': o.model, 'inferd.model_version': o.version } }, rootContext).end(toEpochMs(end));
    }
    if (o.outcome !== 'success') root.setStatus({ code: SpanStatusCode.ERROR, message: o.error ?? o.outcome });
    root.end(toEpochMs(o.startedMs! + o.seconds * 1000));
  }

  /** Exports what is buffered and stops. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

/** Requests without a caller's trace get a fresh trace id from the SDK; for the ratio decision any random tail will do. */
function randomTraceTail(): string {
  return Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
}
