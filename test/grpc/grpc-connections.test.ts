/**
 * gRPC connections end as configured: an idle one is closed after max_connection_idle_ms, a busy one is asked to
 * reconnect after max_connection_age_ms (GOAWAY both). Seen from the client: its channel leaves READY, counted.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connectivityState, type ChannelInterface as Channel } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/index.js';
import { connectionOptions } from '../../src/transport/grpc/grpc-server.js';
import { startTestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { connect } from './grpc-client.js';

function start(grpc: Record<string, number>): Promise<RunningServer> {
  return startTestServer({
    config: {
      model_control_mode: 'explicit',
      load_models: ['digits'],
      grpc_port: 0,
      metrics_port: -1,
      connections: { grpc },
    },
  });
}

/** Counts the times a channel leaves READY (the server closed or drained its connection). */
function countReadyExits(channel: Channel): { readonly exits: () => number; stop(): void } {
  let exits = 0;
  let stopped = false;
  const watch = (last: connectivityState): void => {
    if (stopped) return;
    channel.watchConnectivityState(last, Date.now() + 3_600_000, () => {
      if (stopped) return;
      const now = channel.getConnectivityState(false);
      if (last === connectivityState.READY && now !== connectivityState.READY) exits++;
      watch(now);
    });
  };
  watch(channel.getConnectivityState(false));
  return { exits: () => exits, stop: () => (stopped = true) };
}

describe('gRPC connection limits', () => {
  const servers: RunningServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it('an idle connection is closed after max_connection_idle_ms', async (t) => {
    const server = await start({ max_connection_idle_ms: 200, max_connection_age_ms: 0 });
    servers.push(server);
    const client = connect(server.grpcUrl!);
    await client.call('ServerLive');
    const watcher = countReadyExits(client.channel);
    t.after(() => {
      watcher.stop();
      client.close();
    });
    // No more calls: the server closes the connection, the channel goes idle.
    await waitFor(() => watcher.exits() >= 1, 'the idle connection to be closed', t.signal);
    // The client reconnects for its next call.
    assert.deepEqual(await client.call('ServerLive'), { live: true });
  });

  it('a busy connection is replaced after max_connection_age_ms, its calls all answered', async (t) => {
    const server = await start({
      max_connection_idle_ms: 0,
      max_connection_age_ms: 300,
      max_connection_age_grace_ms: 1000,
    });
    servers.push(server);
    const client = connect(server.grpcUrl!);
    await client.call('ServerLive');
    const watcher = countReadyExits(client.channel);
    t.after(() => {
      watcher.stop();
      client.close();
    });
    // Calls one after another until the server has replaced the connection twice.
    let answered = 0;
    await waitFor(
      async () => {
        await client.call('ServerLive');
        answered++;
        return watcher.exits() >= 2;
      },
      'the busy connection to be replaced twice',
      t.signal,
      0,
    );
    assert.ok(answered > 0);
  });

  it('the settings reach grpc-js as its channel options', () => {
    assert.deepEqual(
      connectionOptions({
        keepaliveTimeMs: 1,
        keepaliveTimeoutMs: 2,
        maxConnectionIdleMs: 3,
        maxConnectionAgeMs: 4,
        maxConnectionAgeGraceMs: 5,
        maxConcurrentStreams: 6,
      }),
      {
        'grpc.keepalive_time_ms': 1,
        'grpc.keepalive_timeout_ms': 2,
        'grpc.max_connection_idle_ms': 3,
        'grpc.max_connection_age_ms': 4,
        'grpc.max_connection_age_grace_ms': 5,
        'grpc.max_concurrent_streams': 6,
      },
    );
    assert.equal(
      'grpc.max_connection_age_ms' in
        connectionOptions({
          keepaliveTimeMs: 1,
          keepaliveTimeoutMs: 2,
          maxConnectionIdleMs: 0,
          maxConnectionAgeMs: 0,
          maxConnectionAgeGraceMs: 5,
          maxConcurrentStreams: 6,
        }),
      false,
    );
  });
});
