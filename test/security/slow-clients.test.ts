/**
 * Slow and half-finished HTTP clients cannot hold the server: a connection cap (with idle connections evicted to
 * make room), a request timeout that cuts off a body that never finishes (408, its bytes released), and a
 * server-wide budget of bytes held by unfinished bodies (503 with Retry-After past it). Each is counted.
 * Nothing here measures time: the tests wait for statuses, closed sockets and counters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { MODELS_DIR } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { postHead, RawClient, scrape } from '../helpers/raw-sockets.js';

const INFER = '/v2/models/digits/infer';
const DIGITS_BODY = JSON.stringify({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) }],
});

function start(connections: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<RunningServer> {
  return startServer(
    resolveServerConfig({
      model_repository: MODELS_DIR,
      model_control_mode: 'explicit',
      load_models: ['digits'],
      http_port: 0,
      grpc_port: -1,
      metrics_port: 0,
      host: '127.0.0.1',
      log_level: 'silent',
      connections,
      ...extra,
    }),
  );
}

async function inferOnce(server: RunningServer): Promise<number> {
  const res = await fetch(`${server.url}${INFER}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: DIGITS_BODY,
  });
  await res.arrayBuffer();
  return res.status;
}

describe('connection cap', () => {
  const CAP = 50;
  let server: RunningServer;
  const clients: RawClient[] = [];

  before(async () => {
    // Timeouts far away: only the cap can free a slot here.
    server = await start({
      max_connections: CAP,
      headers_timeout_ms: 600_000,
      request_timeout_ms: 600_000,
      idle_timeout_ms: 600_000,
    });
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await server.close();
  });

  it('partial-header sockets beyond the cap are closed, counted, and a new client is still served', async (t) => {
    // A client served before the flood keeps its (idle, kept-alive) connection: the never-served ones go first.
    const served = new RawClient(server.url);
    served.write('GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitFor(() => served.status === 200, 'the kept-alive client to be served', t.signal);
    const opened = CAP + 10;
    for (let i = 0; i < opened; i++) {
      const c = new RawClient(server.url);
      clients.push(c);
      await waitFor(() => c.connected, `socket ${i} connected`, t.signal, 1);
      c.write('GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '); // never finished
    }
    // The server keeps a slot free: it holds at most CAP - 1 of them, closing the ones idle longest.
    await waitFor(
      () => clients.filter((c) => c.closed).length >= opened - (CAP - 1),
      'the server to close the sockets past the cap',
      t.signal,
    );
    const evicted = clients.filter((c) => c.closed);
    assert.ok(
      evicted.every((c) => clients.indexOf(c) <= opened - (CAP - 1)),
      'the oldest sockets were closed, not the newest',
    );
    assert.equal(served.closed, false, 'the connection of the client served before stays open');
    served.destroy();
    assert.equal(await inferOnce(server), 200, 'a new client is served while the partial sockets hold the port');
    assert.ok(
      (await scrape(server.metricsUrl!, 'inferd_connections_closed_total', { listener: 'http', reason: 'evicted' })) >=
        opened - (CAP - 1),
    );
    assert.ok((await scrape(server.metricsUrl!, 'inferd_open_connections', { listener: 'http' })) <= CAP);
  });

  it('when every connection is busy with a request, a new one is refused at once and counted', async (t) => {
    for (const c of clients) c.destroy();
    clients.length = 0;
    await waitFor(
      async () => (await scrape(server.metricsUrl!, 'inferd_open_connections', { listener: 'http' })) <= 1,
      'the sockets of the last test to close',
      t.signal,
    );
    // Requests whose bodies never finish: busy, so not evictable.
    for (let i = 0; i < CAP; i++) {
      const c = new RawClient(server.url);
      clients.push(c);
      c.write(postHead(INFER, 100) + '{');
      // One at a time: a connection whose request has not been read yet is idle, and may make room for the next.
      await waitFor(
        async () => (await scrape(server.metricsUrl!, 'inferd_buffered_body_bytes')) === (i + 1) * 100,
        `body ${i} to be under way`,
        t.signal,
      );
    }
    const refused = new RawClient(server.url);
    clients.push(refused);
    await refused.done;
    assert.equal(refused.received, '', 'closed without an answer');
    assert.ok(
      (await scrape(server.metricsUrl!, 'inferd_connections_closed_total', {
        listener: 'http',
        reason: 'connection_cap',
      })) >= 1,
    );
    assert.ok(
      clients.slice(0, CAP).every((c) => !c.closed),
      'the busy connections were not evicted',
    );
  });
});

describe('request timeout', () => {
  let server: RunningServer;
  before(async () => {
    server = await start({ headers_timeout_ms: 500, request_timeout_ms: 1000, idle_timeout_ms: 600_000 });
  });
  after(() => server.close());

  it('a body that never finishes is cut off with 408, counted, and its bytes released', async (t) => {
    const c = new RawClient(server.url);
    c.write(postHead(INFER, 1_000_000) + '{"inputs": [');
    await waitFor(
      async () => (await scrape(server.metricsUrl!, 'inferd_buffered_body_bytes')) === 1_000_000,
      'the body to be under way',
      t.signal,
    );
    await c.done;
    assert.equal(c.status, 408, c.received);
    assert.match(c.received, /did not arrive in full within 1000 ms/);
    assert.equal(
      await scrape(server.metricsUrl!, 'inferd_requests_cut_off_total', {
        listener: 'http',
        reason: 'request_timeout',
      }),
      1,
    );
    assert.equal(await scrape(server.metricsUrl!, 'inferd_buffered_body_bytes'), 0);
  });

  it('a request head that never finishes is cut off with 408 and counted as a head timeout', async () => {
    const c = new RawClient(server.url);
    c.write('GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await c.done;
    assert.equal(c.status, 408, c.received);
    assert.ok(
      (await scrape(server.metricsUrl!, 'inferd_requests_cut_off_total', {
        listener: 'http',
        reason: 'headers_timeout',
      })) >= 1,
    );
  });
});

describe('buffered-body budget', () => {
  const LIMIT = 256 * 1024;
  let server: RunningServer;
  before(async () => {
    server = await start(
      { buffered_body_bytes: 4 * LIMIT, request_timeout_ms: 600_000, idle_timeout_ms: 600_000 },
      { body_limit_bytes: LIMIT },
    );
  });
  after(() => server.close());

  it('bodies past the budget get 503 with Retry-After; the others are held, and released when they end', async (t) => {
    const clients: RawClient[] = [];
    for (let i = 0; i < 6; i++) {
      const c = new RawClient(server.url);
      clients.push(c);
      c.write(postHead(INFER, LIMIT) + '{"inputs": [');
    }
    await waitFor(() => clients.filter((c) => c.status !== undefined).length >= 2, 'two answers', t.signal);
    const answered = clients.filter((c) => c.status !== undefined);
    assert.deepEqual(
      answered.map((c) => c.status),
      [503, 503],
    );
    assert.deepEqual(
      answered.map((c) => c.header('retry-after')),
      ['1', '1'],
    );
    assert.match(answered[0]!.received, /connections\.buffered_body_bytes/);
    assert.equal(await scrape(server.metricsUrl!, 'inferd_buffered_body_bytes'), 4 * LIMIT);
    assert.equal(
      await scrape(server.metricsUrl!, 'inferd_requests_cut_off_total', { listener: 'http', reason: 'body_budget' }),
      2,
    );
    // While the budget is spent, a request without a body is still answered.
    assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
    for (const c of clients) c.destroy();
    await waitFor(
      async () => (await scrape(server.metricsUrl!, 'inferd_buffered_body_bytes')) === 0,
      'the budget to be released',
      t.signal,
    );
    assert.equal(await inferOnce(server), 200, 'a body within the budget is answered once it is free');
  });
});
