/**
 * Tracing of a graph request: one span per node under the graph's `inference` span's ingress, and the members'
 * own requests in the caller's trace.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { readJsonFixture, startTestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
}

const { rows } = readJsonFixture<{ rows: number[][] }>('test/fixtures/graphs/rows.json');

test("a graph request's trace has a span per node, and its members' requests in the same trace", async () => {
  const spans: OtlpSpan[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
      };
      for (const r of body.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
  const server = await startTestServer({
    repository: 'test/fixtures/graphs/repo',
    config: { tracing: { otlp_endpoint: url, sample_ratio: 0 } },
  });
  try {
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${server.url}/v2/models/bc_combine/infer`, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify({
        inputs: [{ name: 'raw', datatype: 'FP32', shape: [2, 30], data: rows.slice(0, 2).flat() }],
      }),
    });
    assert.equal(res.status, 200, await res.text());
    const ingress = (model: string) =>
      spans.find(
        (s) =>
          s.traceId === traceId &&
          s.name === 'ingress' &&
          s.attributes.some((a) => a.key === 'inferd.model' && a.value.stringValue === model),
      );
    await waitFor(
      () =>
        ['bc_combine', 'scaler', 'logreg', 'mlp'].every((m) => ingress(m)) &&
        spans.filter((s) => s.name.startsWith('step ')).length >= 6,
      'graph and member spans',
    );
    const root = ingress('bc_combine')!;
    const steps = spans.filter(
      (s) => s.traceId === traceId && s.parentSpanId === root.spanId && s.name.startsWith('step '),
    );
    assert.deepEqual(steps.map((s) => s.name).sort(), [
      'step both',
      'step linear',
      'step mean',
      'step neural',
      'step scale',
      'step vote',
    ]);
  } finally {
    await server.close();
    receiver.close();
  }
});
