/**
 * Readiness waits for every configured listener: the moment GET /v2/health/ready first answers 200 on a starting
 * server, its gRPC port is bound and answers ServerReady (a client told "ready" is not refused on the gRPC port).
 *
 * The ports are 0 (the server picks them), so the test finds them as they are bound: an async hook collects the
 * TCP server handles created while the server starts, and their bound addresses are read as the probe polls.
 */
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { test } from 'node:test';
import { connect } from '../grpc/grpc-client.js';
import { startTestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { MODELS, tempRepo } from './lifecycle-helpers.js';

/** A listening socket's handle as async_hooks hands it over (node's internal TCP wrap). */
interface TcpServerHandle {
  getsockname(out: { port?: number }): number;
}

/** The ports bound so far by the TCP server handles created since `watch()`. */
function watchListeners(): { ports: () => number[]; stop: () => void } {
  const handles: TcpServerHandle[] = [];
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'TCPSERVERWRAP') handles.push(resource as TcpServerHandle);
    },
  }).enable();
  return {
    ports: () =>
      handles.flatMap((h) => {
        const out: { port?: number } = {};
        return h.getsockname(out) === 0 && out.port ? [out.port] : [];
      }),
    stop: () => hook.disable(),
  };
}

/** The readiness probe's status on `port`, or undefined when that port does not answer HTTP/1 (gRPC's, or unbound). */
async function readyStatus(port: number): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v2/health/ready`);
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

test('the moment HTTP readiness first answers 200, the gRPC port is bound and ServerReady answers ready', async (t) => {
  const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
  t.after(() => repo.cleanup());
  const listeners = watchListeners();
  t.after(() => listeners.stop());
  const starting = startTestServer({ repository: repo.dir, config: { grpc_port: 0, metrics_port: 0 } });
  starting.catch(() => undefined); // awaited below
  // Poll every bound port's probe until one answers 200; keep the ports bound at that moment.
  let boundWhenReady: number[] | undefined;
  let httpPort: number | undefined;
  await waitFor(
    async () => {
      for (const port of listeners.ports())
        if ((await readyStatus(port)) === 200) {
          // The ports bound when the 200 arrived: a list taken before the probe was sent would miss a listener
          // bound while it was answered.
          [boundWhenReady, httpPort] = [listeners.ports(), port];
          return true;
        }
      return false;
    },
    'HTTP readiness 200',
    t.signal,
    1,
  );
  // At once, ServerReady on every other port bound then: one of them is gRPC's, and it says ready.
  const answers = new Map<number, boolean>();
  await Promise.all(
    boundWhenReady!
      .filter((p) => p !== httpPort)
      .map(async (port) => {
        const client = connect(`127.0.0.1:${port}`);
        try {
          answers.set(port, (await client.call<{ ready: boolean }>('ServerReady')).ready);
        } catch {
          // not a gRPC port (the metrics listener)
        } finally {
          client.close();
        }
      }),
  );
  const server = await starting;
  t.after(() => server.close());
  assert.equal(httpPort, server.port);
  assert.ok(
    boundWhenReady!.includes(server.grpcPort!),
    `gRPC port ${server.grpcPort} not bound when HTTP said ready (bound: ${boundWhenReady!.join(', ')})`,
  );
  assert.equal(answers.get(server.grpcPort!), true);
});
