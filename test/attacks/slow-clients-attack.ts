/**
 * Slow clients (issue #16, item 4) and unauthenticated big gRPC messages (item 6), scaled to run in seconds here.
 *
 * - slow-clients-http: 1,000 sockets that send half a request head and stop, against a port capped at 500
 *   connections, plus 20 requests declaring 50 MiB bodies that send 1 MiB and stop. The cap closes the idle ones
 *   to make room, the buffered-body budget (256 MiB) answers 503 to the bodies past it, the head and request
 *   timeouts (2 s, 4 s) cut off the rest. run() ends when the server has closed every attacking socket.
 * - unauthenticated-big-grpc: 4 unauthenticated 60 MiB ModelInfer messages (15.7 million FP32 contents each, the
 *   costliest kind to decode), all at once. The server refuses them from their metadata without decoding them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import type { ServerConfigFile } from '../../src/config/server-config.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import { inferenceServiceDefinition } from '../../src/transport/grpc/proto-loader.js';
import { connect } from '../grpc/grpc-client.js';
import { MODELS_DIR } from '../helpers/server.js';
import { postHead, RawClient } from '../helpers/raw-sockets.js';
import type { AttackScenario, AttackSetup, ProbeRequest } from './attack.js';

const DIGITS_PROBE: ProbeRequest = {
  path: '/v2/models/digits/infer',
  body: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array<number>(64).fill(0.5) }] },
};

const BASE: ServerConfigFile = { model_repository: MODELS_DIR, model_control_mode: 'explicit', load_models: ['digits'], http_port: 0, grpc_port: 0, metrics_port: -1, host: '127.0.0.1', log_level: 'silent' };

const PARTIAL_SOCKETS = 1000;
const UNFINISHED_BODIES = 20;
const MiB = 1024 * 1024;

/** Opens `count` raw clients, yielding to the event loop every 50 (the server accepts them as they come). */
async function openMany(url: string, count: number, send: (c: RawClient) => void): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (let i = 0; i < count; i++) {
    const c = new RawClient(url);
    c.socket.once('connect', () => send(c));
    clients.push(c);
    if (i % 50 === 49) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return clients;
}

export const slowClientsHttp: AttackScenario = {
  name: 'slow-clients-http',
  async setup(): Promise<AttackSetup> {
    const server: RunningServer = await startServer(resolveServerConfig({
      ...BASE, grpc_port: -1,
      connections: { max_connections: 500, headers_timeout_ms: 2000, request_timeout_ms: 4000, buffered_body_bytes: 256 * MiB },
    }));
    const chunk = Buffer.alloc(MiB, 0x20);
    return {
      httpUrl: server.url,
      probe: DIGITS_PROBE,
      async run() {
        const partial = await openMany(server.url, PARTIAL_SOCKETS, (c) => c.write('GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
        const bodies = await openMany(server.url, UNFINISHED_BODIES, (c) => {
          c.write(postHead('/v2/models/digits/infer', 50 * MiB));
          c.write(chunk);
        });
        // Every attacking socket ends at the server's hand: evicted, refused, or timed out.
        await Promise.all([...partial, ...bodies].map((c) => c.done));
      },
      close: () => server.close(),
    };
  },
};

/** A ModelInfer message of about 60 MiB: 15.7 million FP32 contents (packed), encoded once at setup. */
function bigModelInfer(): Buffer {
  const rows = Math.floor((60 * MiB) / 4 / 64);
  return inferenceServiceDefinition().ModelInfer!.requestSerialize({
    model_name: 'digits',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [String(rows), '64'], contents: { fp32_contents: new Array<number>(rows * 64).fill(0.5) } }],
  });
}

export const unauthenticatedBigGrpc: AttackScenario = {
  name: 'unauthenticated-big-grpc',
  async setup(): Promise<AttackSetup> {
    const dir = await mkdtemp(join(tmpdir(), 'inferd-attack-'));
    const key = 'probe-key-0123456789';
    const keysPath = join(dir, 'keys.yaml');
    await writeFile(keysPath, `keys:\n  - {name: probe, tenant: acme, sha256: ${hashApiKey(key)}, scopes: ['infer:digits']}\n`);
    let server: RunningServer;
    try {
      server = await startServer(resolveServerConfig({ ...BASE, auth: { enabled: true, api_keys_file: keysPath } }));
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const message = bigModelInfer();
    return {
      httpUrl: server.url,
      probe: { ...DIGITS_PROBE, headers: { 'x-api-key': key } },
      async run() {
        const client = connect(server.grpcUrl!, { 'grpc.max_send_message_length': -1 });
        try {
          await Promise.all(Array.from({ length: 4 }, () => client.callRaw('ModelInfer', message).catch(() => undefined)));
        } finally {
          client.close();
        }
      },
      async close() {
        await server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

export const slowClientsScenarios: readonly AttackScenario[] = [slowClientsHttp, unauthenticatedBigGrpc];
