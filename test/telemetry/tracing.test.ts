import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { waitFor as waitUntil } from '../helpers/wait-for.js';
import { resolveServerConfig, startServer } from '../../src/index.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
  status?: { code?: number };
}

/** A real OTLP/HTTP (JSON) receiver collecting every span it is sent. */
async function startReceiver(): Promise<{ url: string; spans: OtlpSpan[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
      for (const r of body.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans, server };
}


const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value.stringValue;

test('a traced request reaches an OTLP receiver as a span tree under the caller\'s traceparent', async () => {
  const receiver = await startReceiver();
  const server = await startServer(resolveServerConfig({ model_repository: 'models', http_port: 0, log_level: 'silent', tracing: { otlp_endpoint: receiver.url, sample_ratio: 0 } }));
  try {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const body = readFileSync('examples/digits-request.json', 'utf8');
    // Sampled upstream (flag 01): kept even though the local ratio is 0.
    const res = await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body, headers: { traceparent: `00-${traceId}-${callerSpan}-01` } });
    assert.equal(res.status, 200);
    // Not sampled upstream, ratio 0, successful and fast: dropped.
    await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body, headers: { traceparent: `00-${'1'.repeat(32)}-${callerSpan}-00` } });
    // A failure is always kept.
    await fetch(`${server.url}/v2/models/digits/versions/9/infer`, { method: 'POST', body, headers: { traceparent: `00-${'2'.repeat(32)}-${callerSpan}-00` } });
    await waitUntil(() => receiver.spans.filter((s) => s.traceId === traceId).length >= 5 && receiver.spans.some((s) => s.traceId === '2'.repeat(32)), 'spans');
    const mine = receiver.spans.filter((s) => s.traceId === traceId);
    const root = mine.find((s) => s.name === 'ingress')!;
    assert.equal(root.parentSpanId, callerSpan);
    assert.equal(attr(root, 'inferd.model'), 'digits');
    assert.equal(attr(root, 'inferd.model_version'), '1');
    const children = mine.filter((s) => s !== root);
    assert.deepEqual(children.map((s) => s.name).sort(), ['inference', 'postprocess', 'queue', 'validation']);
    for (const c of children) assert.equal(c.parentSpanId, root.spanId, `${c.name} is a child of ingress`);
    assert.equal(receiver.spans.filter((s) => s.traceId === '1'.repeat(32)).length, 0, 'the unsampled success was not exported');
    const failed = receiver.spans.find((s) => s.traceId === '2'.repeat(32) && s.name === 'ingress')!;
    assert.equal(failed.status?.code, 2, 'the failed request carries an error status');
  } finally {
    await server.close();
    receiver.server.close();
  }
});
