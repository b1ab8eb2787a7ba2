/**
 * End-to-end fuzz properties over a started server (real sockets, HTTP and gRPC): whatever body or message a
 * client sends, the answer is never a 5xx (HTTP) nor INTERNAL/UNKNOWN/UNAVAILABLE/DATA_LOSS (gRPC), and the server
 * still answers its health checks afterwards. Shared by server.fuzz.test.ts (quick) and fuzz-runner.ts.
 */
import assert from 'node:assert/strict';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { DATATYPES, type Datatype } from '../../src/tensor/index.js';
import { tempRepository, type TempRepository } from '../helpers/server.js';
import { elementOf, toJsonText } from './arbitraries.js';
import { grpcRequestBytes } from './grpc-arbitraries.js';
import { v1Case } from './v1-arbitraries.js';
import { anyBinary, v2JsonBody } from './v2-arbitraries.js';

/** gRPC codes that would mean the server failed rather than refused: never acceptable for any input. */
const SERVER_FAULTS = new Set<number>([status.UNKNOWN, status.INTERNAL, status.UNAVAILABLE, status.DATA_LOSS]);

export interface FuzzServer {
  readonly server: RunningServer;
  readonly grpc: Client;
  stop(): Promise<void>;
}

/** A server on port 0 (HTTP and gRPC) serving dtypes_identity (every datatype), digits and two_in_two_out. */
export async function startFuzzServer(): Promise<FuzzServer> {
  const repo: TempRepository = await tempRepository({
    dtypes: { onnx: 'dtypes_identity.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 4\n' } },
    digits: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
    two: { onnx: 'two_in_two_out.onnx' },
  });
  const config = resolveServerConfig({ model_repository: repo.dir, http_port: 0, grpc_port: 0, metrics_port: -1, host: '127.0.0.1', log_level: 'silent', body_limit_bytes: 8 * 1024 * 1024 });
  const server = await startServer(config);
  const grpc = new Client(server.grpcUrl!, credentials.createInsecure());
  return {
    server,
    grpc,
    stop: async () => {
      grpc.close();
      await server.close();
      await repo.cleanup();
    },
  };
}

/** A complete, well-formed request for dtypes_identity (one input per datatype but BF16), as V2 JSON. */
const dtypesRequest = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 })).chain(([b, n]) => {
  const types = DATATYPES.filter((d): d is Exclude<Datatype, 'BF16'> => d !== 'BF16');
  return fc.tuple(...types.map((d) => fc.array(elementOf(d), { minLength: b * n, maxLength: b * n }))).map((data) => ({
    inputs: types.map((d, i) => ({ name: `in_${d.toLowerCase()}`, datatype: d, shape: [b, n], data: data[i] })),
  }));
});

const V2_PATHS = ['/v2/models/dtypes/infer', '/v2/models/digits/infer', '/v2/models/two/infer', '/v2/models/dtypes/versions/1/infer', '/v2/models/nope/infer', '/v2/models/digits/versions/x/infer'];
const V1_PATHS = ['/v1/models/dtypes:predict', '/v1/models/digits:predict', '/v1/models/two:predict', '/v1/models/nope:predict'];

interface HttpCase {
  readonly path: string;
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

const httpCase: fc.Arbitrary<HttpCase> = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom(...V2_PATHS), v2JsonBody).map(([path, body]) => ({ path, body, headers: {} })), weight: 4 },
  { arbitrary: fc.tuple(fc.constantFrom(...V2_PATHS), anyBinary).map(([path, b]) => ({ path, body: b.body, headers: { 'inference-header-content-length': b.headerLength.trim() } })), weight: 3 },
  { arbitrary: fc.tuple(fc.constantFrom(...V1_PATHS), v1Case).map(([path, c]) => ({ path, body: c.body, headers: {} })), weight: 2 },
  { arbitrary: dtypesRequest.map((r) => ({ path: '/v2/models/dtypes/infer', body: Buffer.from(toJsonText(r)), headers: {} })), weight: 1 },
);

async function post({ path, body, headers }: HttpCase, url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, text: await res.text() };
}

/** Calls ModelInfer with raw message bytes (no client-side serialisation); resolves with the status code. */
function modelInferRaw(client: Client, bytes: Buffer): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest('/inference.GRPCInferenceService/ModelInfer', (b: Buffer) => b, (b: Buffer) => b, bytes, new Metadata(), { deadline: Date.now() + 10_000 }, (err: ServiceError | null) =>
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' }),
    );
  });
}

const grpcCase: fc.Arbitrary<Buffer> = fc.oneof(
  { arbitrary: grpcRequestBytes, weight: 4 },
  // Aimed at a real model (a later model_name field wins), so decoded requests run through the whole service.
  { arbitrary: grpcRequestBytes.map((b) => Buffer.concat([b, Buffer.from([0x0a, 0x06]), Buffer.from('dtypes')])), weight: 2 },
);

/** Health after the run: HTTP live and ready, gRPC ServerLive answers. */
async function assertHealthy(f: FuzzServer): Promise<void> {
  assert.equal((await fetch(`${f.server.url}/v2/health/live`)).status, 200, 'HTTP liveness after fuzzing');
  assert.equal((await fetch(`${f.server.url}/v2/health/ready`)).status, 200, 'HTTP readiness after fuzzing');
  const live = await new Promise<number>((resolve) => {
    f.grpc.makeUnaryRequest('/inference.GRPCInferenceService/ServerLive', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (err: ServiceError | null) => resolve(err ? err.code : status.OK));
  });
  assert.equal(live, status.OK, 'gRPC ServerLive after fuzzing');
}

export interface ServerFuzzReport {
  readonly cases: number;
  readonly lines: string[];
}

/** Runs `runs` HTTP cases and `runs` gRPC cases against a fresh server; throws on the first server fault. */
export async function runServerFuzz(runs: number, seed?: number): Promise<ServerFuzzReport> {
  const f = await startFuzzServer();
  const lines: string[] = [];
  try {
    const statuses = new Map<number, number>();
    let t0 = performance.now();
    await fc.assert(
      fc.asyncProperty(httpCase, async (c) => {
        const r = await post(c, f.server.url);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status >= 500) throw new Error(`POST ${c.path} answered ${r.status}: ${r.text.slice(0, 300)}; body ${c.body.subarray(0, 200).toString()}`);
      }),
      { numRuns: runs, seed, endOnFailure: true },
    );
    lines.push(`server HTTP: ${runs} requests in ${((performance.now() - t0) / 1000).toFixed(1)} s; statuses ${[...statuses].sort().map(([s, n]) => `${s}×${n}`).join(', ')}`);
    const codes = new Map<number, number>();
    t0 = performance.now();
    await fc.assert(
      fc.asyncProperty(grpcCase, async (bytes) => {
        const r = await modelInferRaw(f.grpc, bytes);
        codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        if (SERVER_FAULTS.has(r.code)) throw new Error(`ModelInfer answered ${status[r.code]}: ${r.details.slice(0, 300)}`);
      }),
      { numRuns: runs, seed, endOnFailure: true },
    );
    lines.push(`server gRPC: ${runs} calls in ${((performance.now() - t0) / 1000).toFixed(1)} s; codes ${[...codes].sort().map(([c, n]) => `${status[c]}×${n}`).join(', ')}`);
    await assertHealthy(f);
    lines.push('server still live and ready (HTTP and gRPC) afterwards');
  } finally {
    await f.stop();
  }
  return { cases: 2 * runs, lines };
}
