/**
 * A body refused as too large for its model (413: from its Content-Length, or a chunked body cut off past the
 * limit) gives back its share of the buffered-body budget at once, and the server closes its connection itself: clients that announce oversized
 * bodies and then keep their sockets open (sending the body slowly, or nothing more) cannot spend the budget and
 * turn every other request away with 503. Nothing here measures time: the tests wait for answers and counters.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { tempRepository, type TempRepository } from '../helpers/server.js';
import { postHead, scrape } from '../helpers/raw-sockets.js';
import { waitFor } from '../helpers/wait-for.js';

const ROW = `[${new Array(64).fill('0.5').join(',')}]`;
/** The budget: room for three oversized bodies' reservations at most. */
const BUDGET = 8 * 1024 * 1024;
/** Above model 'small''s limit (1 MiB: 8 rows × 64 FP32 × json_overhead_factor 8, at least the floor), within the budget. */
const OVERSIZED = 2 * 1024 * 1024 + 1;

async function inferOnce(server: RunningServer): Promise<number> {
  const res = await fetch(`${server.url}/v1/models/small:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `{"instances":[${ROW}]}`,
  });
  await res.arrayBuffer();
  return res.status;
}

/**
 * A client socket that stays open after the server's answer (half-open: it never ends its side), recording what
 * comes back and whether the server closed the connection in full.
 */
class StubbornClient {
  readonly socket: Socket;
  received = '';
  /** The server has sent its FIN. */
  ended = false;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
    this.socket.on('data', (d: Buffer) => (this.received += d.toString('latin1')));
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('error', () => {}); // a reset is one way for the server to close it
  }

  get status(): number | undefined {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.received);
    return m ? Number(m[1]) : undefined;
  }
}

describe('refused bodies and the buffered-body budget', () => {
  let repo: TempRepository;
  let server: RunningServer;
  const clients: StubbornClient[] = [];

  before(async () => {
    repo = await tempRepository({
      small: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
    });
    server = await startServer(
      resolveServerConfig({
        model_repository: repo.dir,
        http_port: 0,
        grpc_port: -1,
        metrics_port: 0,
        host: '127.0.0.1',
        log_level: 'silent',
        body_limit_bytes: BUDGET / 2,
        // Timeouts far away: only the server's own handling of the refusal can give the budget back.
        connections: {
          buffered_body_bytes: BUDGET,
          request_timeout_ms: 600_000,
          idle_timeout_ms: 600_000,
          headers_timeout_ms: 600_000,
        },
      }),
    );
  });

  after(async () => {
    for (const c of clients) c.socket.destroy();
    await server?.close();
    await repo?.cleanup();
  });

  it('bodies refused with 413 while their sockets stay open release the budget, and the next request is served', async (t) => {
    const refusals = 3 * Math.ceil(BUDGET / OVERSIZED);
    for (let i = 0; i < refusals; i++) {
      const c = new StubbornClient(server.url);
      clients.push(c);
      // The head and a first part of the body; the rest never comes, and the socket is never ended.
      c.socket.write(postHead('/v1/models/small:predict', OVERSIZED) + `{"instances":[${ROW}`);
      await waitFor(() => c.status !== undefined, `an answer to oversized body ${i}`, t.signal);
      assert.equal(c.status, 413, `oversized body ${i}: ${c.received}`);
      assert.match(c.received, /connection: close/i);
    }
    assert.equal(
      await scrape(server.metricsUrl!, 'inferd_buffered_body_bytes'),
      0,
      'refused bodies hold none of the budget',
    );
    // The server closed every refused connection itself, though no client ended its side.
    await waitFor(() => clients.every((c) => c.ended), 'the server to close the refused connections', t.signal);
    await waitFor(
      async () => (await scrape(server.metricsUrl!, 'inferd_open_connections', { listener: 'http' })) === 0,
      'the refused connections to be closed',
      t.signal,
    );
    assert.equal(await inferOnce(server), 200, 'a request within the budget is served after the refusals');
  });

  it("chunked bodies cut off with 413 past the model's limit release what they had taken, and the next request is served", async (t) => {
    // More than model 'small' takes (1 MiB), sent as one chunk; the terminating chunk never comes.
    const data = `{"instances":[${new Array(Math.ceil((1.1 * 1024 * 1024) / ROW.length)).fill(ROW).join(',')}`;
    const refusals = 2 * Math.ceil(BUDGET / data.length);
    for (let i = 0; i < refusals; i++) {
      const c = new StubbornClient(server.url);
      clients.push(c);
      c.socket.write(
        'POST /v1/models/small:predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      c.socket.write(`${data.length.toString(16)}\r\n${data}\r\n`);
      await waitFor(() => c.status !== undefined, `an answer to chunked body ${i}`, t.signal);
      assert.equal(c.status, 413, `chunked body ${i}: ${c.received}`);
    }
    await waitFor(
      async () => (await scrape(server.metricsUrl!, 'inferd_buffered_body_bytes')) === 0,
      "the refused bodies' bytes to be released",
      t.signal,
    );
    await waitFor(() => clients.every((c) => c.ended), 'the server to close the refused connections', t.signal);
    assert.equal(await inferOnce(server), 200, 'a request within the budget is served after the refusals');
  });
});
