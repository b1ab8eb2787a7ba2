/**
 * OpenTelemetry tracing. Spans are built when a request finishes, from the timeline the core recorded, so a
 * request pays nothing for tracing until it is known to be kept: head-sampled by trace id (ratio), sampled
 * upstream (W3C traceparent flag), failed, or slow. With no OTLP endpoint configured nothing is registered at all.
 *
 * Span tree: `ingress` (SERVER, child of the caller's span when a traceparent came in) with children
 * `features`, `validation`, `queue`, `inference`, `postprocess`, each with model and version attributes.
 */
import {
  context,
  trace,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  RandomIdGenerator,
  TracerProvider,
  type IdGenerator,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { randomUUID } from 'node:crypto';
import { parseTraceparent, type TracedRequest } from './trace-ids.js';

export { freshTraceId, parseTraceparent, withTraceIds, type TracedRequest } from './trace-ids.js';

export interface TracingOptions {
  /** OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces. */
  readonly endpoint: string;
  /** Share of requests traced (by trace id); failed and slow requests are always traced. */
  readonly sampleRatio: number;
  /** Requests slower than this are always traced. */
  readonly slowMs: number;
  /** The resource's `service.name` (config tracing.service_name, OTEL_SERVICE_NAME) and the tracer's name. */
  readonly serviceName: string;
  /** The resource's `service.version`: inferd's version. */
  readonly serviceVersion?: string;
  /** The resource's `service.instance.id`; default: a random UUID for this process. */
  readonly serviceInstanceId?: string;
  /** Further resource attributes (config tracing.resource_attributes, OTEL_RESOURCE_ATTRIBUTES). */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  /** Where spans go instead of the OTLP endpoint (tests: an in-memory exporter). */
  readonly exporter?: SpanExporter;
}

/** The process's resource: the SDK's defaults, then the configured attributes, then the service's identity. */
export function tracingResource(
  options: Pick<TracingOptions, 'serviceName' | 'serviceVersion' | 'serviceInstanceId' | 'resourceAttributes'>,
): Resource {
  return defaultResource().merge(
    resourceFromAttributes({
      ...options.resourceAttributes,
      'service.name': options.serviceName,
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
      'service.instance.id': options.serviceInstanceId ?? randomUUID(),
    }),
  );
}

/**
 * Random ids, except that the next root span may be given its trace id: a request's trace id is chosen when it is
 * observed (and logged), before its spans are built.
 */
class ChosenTraceIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  next: string | undefined;

  generateTraceId(): string {
    const chosen = this.next;
    this.next = undefined;
    return chosen ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }
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
  private readonly ids = new ChosenTraceIds();

  constructor(private readonly options: TracingOptions) {
    const exporter = options.exporter ?? new OTLPTraceExporter({ url: options.endpoint });
    this.provider = new TracerProvider({
      resource: tracingResource(options),
      idGenerator: this.ids,
      sampler: new AlwaysOnSampler(), // the keep/drop decision is made before any span exists
      spanProcessors: [
        new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500, maxQueueSize: 16384, maxExportBatchSize: 2048 }),
      ],
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
      sampledByRatio(parent?.traceId ?? o.traceId ?? randomTraceTail(), this.options.sampleRatio);
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
    if (!parent) this.ids.next = o.traceId; // taken by the root span just below, synchronously
    const root = this.tracer.startSpan(
      'ingress',
      { kind: SpanKind.SERVER, startTime: toEpochMs(o.startedMs!), attributes },
      parentContext,
    );
    const rootContext = trace.setSpan(context.active(), root);
    for (const [name, [start, end]] of Object.entries(o.spans ?? {}) as Array<[string, readonly [number, number]]>) {
      this.tracer
        .startSpan(
          name,
          { startTime: toEpochMs(start), attributes: { 'inferd.model': o.model, 'inferd.model_version': o.version } },
          rootContext,
        )
        .end(toEpochMs(end));
    }
    if (o.outcome !== 'success') root.setStatus({ code: SpanStatusCode.ERROR, message: o.error ?? o.outcome });
    root.end(toEpochMs(o.startedMs! + o.seconds * 1000));
  }

  /** Exports what is buffered now (tests). */
  async flush(): Promise<void> {
    await this.provider.forceFlush();
  }

  /** Exports what is buffered and stops. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

/** For the ratio decision of a request without a trace id any random tail will do. */
function randomTraceTail(): string {
  return Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
}
