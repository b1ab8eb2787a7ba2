/**
 * Slow clients (issue #16, item 4) and unauthenticated big gRPC messages (item 6), scaled to run in seconds here.
 * The attack runs in a child process (slow-clients-attacker.ts): only the server's own work shows in the probes.
 *
 * - slow-clients-http: 1,000 sockets that send half a request head and stop, against a port capped at 500
 *   connections, plus 20 requests declaring 50 MiB bodies that send 1 MiB and stop. The cap closes the never-served
 *   idle ones to make room, the buffered-body budget (256 MiB) answers 503 to the bodies past it, the head and
 *   request timeouts (2 s, 4 s) cut off the rest. run() ends when the server has closed every attacking socket.
 * - unauthenticated-big-grpc: 4 unauthenticated 60 MiB ModelInfer messages (15.7 million FP32 contents each, the
 *   costliest kind to decode), all at once. The server refuses them from their metadata before reading them.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import type { ServerConfigFile } from '../../src/config/server-config.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import { MODELS_DIR } from '../helpers/server.js';
import type { AttackScenario, AttackSetup, ProbeRequest } from './attack.js';

const DIGITS_PROBE: ProbeRequest = {
  path: '/v2/models/digits/infer',
  body: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array<number>(64).fill(0.5) }] },
};

const BASE: ServerConfigFile = {
  model_repository: MODELS_DIR,
  model_control_mode: 'explicit',
  load_models: ['digits'],
  http_port: 0,
  grpc_port: 0,
  metrics_port: -1,
  host: '127.0.0.1',
  log_level: 'silent',
};
const MiB = 1024 * 1024;
const ATTACKER = fileURLToPath(new URL('./slow-clients-attacker.js', import.meta.url));

/** Runs the attacker child to its end; resolves with what it reported. */
function attack(mode: 'http' | 'grpc', target: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = fork(ATTACKER, [mode, target], { stdio: 'ignore' });
    let report: Record<string, unknown> | undefined;
    child.on('message', (m) => (report = m as Record<string, unknown>));
    child.once('error', reject);
    child.once('exit', (code) =>
      report ? resolve(report) : reject(new Error(`the ${mode} attacker exited with ${code} without a report`)),
    );
  });
}

export const slowClientsHttp: AttackScenario = {
  name: 'slow-clients-http',
  async setup(): Promise<AttackSetup> {
    const server: RunningServer = await startServer(
      resolveServerConfig({
        ...BASE,
        grpc_port: -1,
        connections: {
          max_connections: 500,
          headers_timeout_ms: 2000,
          request_timeout_ms: 4000,
          buffered_body_bytes: 256 * MiB,
        },
      }),
    );
    return {
      httpUrl: server.url,
      probe: DIGITS_PROBE,
      async run() {
        await attack('http', server.url);
      },
      close: () => server.close(),
    };
  },
};

export const unauthenticatedBigGrpc: AttackScenario = {
  name: 'unauthenticated-big-grpc',
  async setup(): Promise<AttackSetup> {
    const dir = await mkdtemp(join(tmpdir(), 'inferd-attack-'));
    const key = 'probe-key-0123456789';
    const keysPath = join(dir, 'keys.yaml');
    await writeFile(
      keysPath,
      `keys:\n  - {name: probe, tenant: acme, sha256: ${hashApiKey(key)}, scopes: ['infer:digits']}\n`,
    );
    let server: RunningServer;
    try {
      server = await startServer(resolveServerConfig({ ...BASE, auth: { enabled: true, api_keys_file: keysPath } }));
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return {
      httpUrl: server.url,
      probe: { ...DIGITS_PROBE, headers: { 'x-api-key': key } },
      async run() {
        await attack('grpc', server.grpcUrl!);
      },
      async close() {
        await server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

export const slowClientsScenarios: readonly AttackScenario[] = [slowClientsHttp, unauthenticatedBigGrpc];
