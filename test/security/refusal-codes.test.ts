/**
 * The answers the HTTP layer gives before any route reads a request carry an error code like every other refusal
 * (docs/errors.md): node's own refusals through the connection guard (408 a head that never finishes, 431 a head
 * too large, 400 bytes that are not HTTP) and the 503 of a request that reaches a server that has begun to close.
 * Real sockets against a started server; nothing waits for a time: the tests wait for answers and closed sockets.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { MODELS_DIR } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { RawClient, scrape } from '../helpers/raw-sockets.js';

function start(connections: Record<string, unknown> = {}): Promise<RunningServer> {
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
    }),
  );
}

/** The JSON body of a raw answer. */
function bodyOf(c: RawClient): { error?: unknown; code?: unknown } {
  const body = c.received.split('\r\n\r\n').slice(1).join('\r\n\r\n');
  return JSON.parse(body) as { error?: unknown; code?: unknown };
}

describe("the connection guard's answers carry a code", () => {
  let server: RunningServer;
  before(async () => {
    server = await start({ headers_timeout_ms: 500, request_timeout_ms: 1000, idle_timeout_ms: 600_000 });
  });
  after(() => server.close());

  it('a head that never finishes: 408, bad_request, saying what to do', async () => {
    const c = new RawClient(server.url);
    c.write('GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    await c.done;
    assert.equal(c.status, 408, c.received);
    const body = bodyOf(c);
    assert.equal(body.code, 'bad_request');
    assert.match(String(body.error), /request head .* did not arrive within 500 ms; send it at once/);
  });

  it('a head too large: 431, bad_request', async () => {
    const c = new RawClient(server.url);
    c.write(`GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(128 * 1024)}\r\n\r\n`);
    await c.done;
    assert.equal(c.status, 431, c.received);
    const body = bodyOf(c);
    assert.equal(body.code, 'bad_request');
    assert.match(String(body.error), /request head is too large/);
  });

  it('bytes that are not HTTP/1.1: 400, bad_request', async () => {
    const c = new RawClient(server.url);
    c.write('HELLO THERE\r\n\r\n');
    await c.done;
    assert.equal(c.status, 400, c.received);
    assert.equal(bodyOf(c).code, 'bad_request');
    assert.ok(
      (await scrape(server.metricsUrl!, 'inferd_requests_cut_off_total', {
        listener: 'http',
        reason: 'bad_request',
      })) >= 1,
    );
  });
});

/** Whether a new TCP connection to `url` is refused (the listener has closed). */
function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('a request that reaches a closing server', () => {
  it('is answered 503 unavailable with Retry-After, and the connection closed', async (t) => {
    const server = await start({ headers_timeout_ms: 600_000, request_timeout_ms: 600_000, idle_timeout_ms: 600_000 });
    let closed: Promise<void> | undefined;
    try {
      // A request whose head is still arriving when the server begins to close (its socket is not idle, so it stays).
      const c = new RawClient(server.url);
      await waitFor(() => c.connected, 'the socket to connect', t.signal);
      c.write('GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await waitFor(
        async () => (await scrape(server.metricsUrl!, 'inferd_open_connections', { listener: 'http' })) >= 1,
        'the server to hold the connection',
        t.signal,
      );
      closed = server.close();
      // The listener stops accepting connections once the app has begun to close.
      await waitFor(() => refused(server.url), 'the listener to close', t.signal);
      c.write('\r\n');
      await c.done;
      assert.equal(c.status, 503, c.received);
      assert.equal(c.header('retry-after'), '1');
      assert.equal(c.header('connection'), 'close');
      const body = bodyOf(c);
      assert.equal(body.code, 'unavailable');
      assert.match(String(body.error), /shutting down/);
    } finally {
      await (closed ?? server.close());
    }
  });
});
