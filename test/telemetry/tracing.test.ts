import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { waitFor as waitUntil } from '../helpers/wait-for.js';
import { resolveServerConfig } from '../../src/index.js';
import { configFromEnv } from '../../src/config/index.js';
import { VERSION } from '../../src/version.js';
import { captureLog } from './log-capture.js';
import { startTestServer } from '../helpers/server.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
  status?: { code?: number };
}

type OtlpAttributes = Array<{ key: string; value: { stringValue?: string } }>;

/** A real OTLP/HTTP (JSON) receiver collecting every span it is sent, and the resources they came with. */
async function startReceiver(): Promise<{
  url: string;
  spans: OtlpSpan[];
  resources: OtlpAttributes[];
  server: Server;
}> {
  const spans: OtlpSpan[] = [];
  const resources: OtlpAttributes[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        resourceSpans: Array<{ resource?: { attributes?: OtlpAttributes }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
      };
      for (const r of body.resourceSpans) {
        resources.push(r.resource?.attributes ?? []);
        for (const s of r.scopeSpans) spans.push(...s.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans, resources, server };
}

const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value.stringValue;

test("a traced request reaches an OTLP receiver as a span tree under the caller's traceparent", async () => {
  const receiver = await startReceiver();
  const server = await startTestServer({ config: { tracing: { otlp_endpoint: receiver.url, sample_ratio: 0 } } });
  try {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const body = readFileSync('examples/digits-request.json', 'utf8');
    // Sampled upstream (flag 01): kept even though the local ratio is 0.
    const res = await fetch(`${server.url}/v2/models/digits/infer`, {
      method: 'POST',
      body,
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    assert.equal(res.status, 200);
    // Not sampled upstream, ratio 0, successful and fast: dropped.
    await fetch(`${server.url}/v2/models/digits/infer`, {
      method: 'POST',
      body,
      headers: { traceparent: `00-${'1'.repeat(32)}-${callerSpan}-00` },
    });
    // A failure is always kept.
    await fetch(`${server.url}/v2/models/digits/versions/9/infer`, {
      method: 'POST',
      body,
      headers: { traceparent: `00-${'2'.repeat(32)}-${callerSpan}-00` },
    });
    await waitUntil(
      () =>
        receiver.spans.filter((s) => s.traceId === traceId).length >= 5 &&
        receiver.spans.some((s) => s.traceId === '2'.repeat(32)),
      'spans',
    );
    const mine = receiver.spans.filter((s) => s.traceId === traceId);
    const root = mine.find((s) => s.name === 'ingress')!;
    assert.equal(root.parentSpanId, callerSpan);
    assert.equal(attr(root, 'inferd.model'), 'digits');
    assert.equal(attr(root, 'inferd.model_version'), '1');
    const children = mine.filter((s) => s !== root);
    assert.deepEqual(children.map((s) => s.name).sort(), ['inference', 'postprocess', 'queue', 'validation']);
    for (const c of children) assert.equal(c.parentSpanId, root.spanId, `${c.name} is a child of ingress`);
    assert.equal(
      receiver.spans.filter((s) => s.traceId === '1'.repeat(32)).length,
      0,
      'the unsampled success was not exported',
    );
    const failed = receiver.spans.find((s) => s.traceId === '2'.repeat(32) && s.name === 'ingress')!;
    assert.equal(failed.status?.code, 2, 'the failed request carries an error status');
  } finally {
    await server.close();
    receiver.server.close();
  }
});

const valueOf = (attributes: OtlpAttributes, key: string) => attributes.find((a) => a.key === key)?.value.stringValue;

test("spans carry the service as their resource: name from the config, inferd's version, an instance id, extra attributes", async () => {
  const receiver = await startReceiver();
  const server = await startTestServer({
    config: {
      tracing: {
        otlp_endpoint: receiver.url,
        sample_ratio: 1,
        service_name: 'fraud-scoring',
        resource_attributes: { 'deployment.environment': 'staging' },
      },
    },
  });
  try {
    const body = readFileSync('examples/digits-request.json', 'utf8');
    assert.equal((await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body })).status, 200);
    await waitUntil(() => receiver.spans.some((s) => s.name === 'ingress'), 'the ingress span');
    const resource = receiver.resources[0];
    assert.equal(valueOf(resource, 'service.name'), 'fraud-scoring', 'not unknown_service:node');
    assert.equal(valueOf(resource, 'service.version'), VERSION);
    assert.match(valueOf(resource, 'service.instance.id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(valueOf(resource, 'deployment.environment'), 'staging');
  } finally {
    await server.close();
    receiver.server.close();
  }
});

test('OTEL_SERVICE_NAME names the service over the config file; OTEL_RESOURCE_ATTRIBUTES adds attributes', () => {
  const file = {
    tracing: {
      otlp_endpoint: 'http://collector:4318/v1/traces',
      service_name: 'from-file',
      resource_attributes: { team: 'risk' },
    },
  };
  const env = configFromEnv({
    OTEL_SERVICE_NAME: 'from-env',
    OTEL_RESOURCE_ATTRIBUTES: 'service.name=ignored,deployment.environment=prod%20eu',
  });
  const config = resolveServerConfig(file, env);
  assert.equal(config.tracing.serviceName, 'from-env');
  assert.equal(
    config.tracing.otlpEndpoint,
    'http://collector:4318/v1/traces',
    "the file's other tracing settings stay",
  );
  assert.deepEqual(config.tracing.resourceAttributes, { team: 'risk', 'deployment.environment': 'prod eu' });
  // Without OTEL_SERVICE_NAME, a service.name in OTEL_RESOURCE_ATTRIBUTES names the service.
  assert.equal(
    resolveServerConfig(file, configFromEnv({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-name' })).tracing
      .serviceName,
    'attr-name',
  );
  assert.equal(resolveServerConfig(file, configFromEnv({})).tracing.serviceName, 'from-file');
  assert.equal(resolveServerConfig({}).tracing.serviceName, 'inferd');
});

test("with tracing on, every request log line carries the trace id of the request's spans, fresh when the caller sent none", async () => {
  const receiver = await startReceiver();
  const log = captureLog();
  const server = await startTestServer({
    config: { log_level: 'info', log_requests: 'all', tracing: { otlp_endpoint: receiver.url, sample_ratio: 1 } },
    logger: log.logger,
  });
  try {
    const body = readFileSync('examples/digits-request.json', 'utf8');
    const callerTrace = 'ab'.repeat(16);
    assert.equal((await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body })).status, 200);
    const withoutId = JSON.stringify({ ...(JSON.parse(body) as object), id: undefined });
    assert.equal(
      (
        await fetch(`${server.url}/v2/models/digits/infer`, {
          method: 'POST',
          body: withoutId,
          headers: { traceparent: `00-${callerTrace}-${'1'.repeat(16)}-00` },
        })
      ).status,
      200,
    );
    const lines = log.entries().filter((e) => e.msg === 'request');
    assert.equal(lines.length, 2);
    const fresh = String(lines[0].trace_id);
    assert.match(fresh, /^[0-9a-f]{32}$/, 'a request without traceparent gets a trace id');
    assert.equal(lines[1].trace_id, callerTrace, "a caller's trace id is kept");
    assert.equal(lines[0].request_id, 'example-1', "the request's own id");
    assert.match(String(lines[1].request_id), /^[0-9a-f-]{36}$/, 'a request without an id gets one');
    await waitUntil(
      () => receiver.spans.some((s) => s.name === 'ingress' && s.traceId === fresh),
      "the fresh trace's spans",
    );
    const mine = receiver.spans.filter((s) => s.traceId === fresh);
    assert.ok(
      mine.some((s) => s.name === 'inference'),
      'the whole span tree has the logged trace id',
    );
  } finally {
    await server.close();
    receiver.server.close();
  }
});

test("an OTLP endpoint that does not answer does not fail the server's stop; it is logged", async () => {
  const gone = await startReceiver();
  await new Promise<void>((resolve) => gone.server.close(() => resolve())); // a port nobody listens on now
  const log = captureLog();
  const server = await startTestServer({
    config: { log_level: 'info', tracing: { otlp_endpoint: gone.url, sample_ratio: 1 } },
    logger: log.logger,
  });
  const body = readFileSync('examples/digits-request.json', 'utf8');
  assert.equal((await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body })).status, 200);
  // The span waits for the exporter's next batch (500 ms), so it is usually still buffered when the stop exports it.
  await server.close();
  assert.ok(log.entries().some((e) => e.msg === 'inferd stopped'));
});
