/**
 * End-to-end fuzz properties over a started server (real sockets, HTTP and gRPC): whatever body or message a
 * client sends, the answer is never a 5xx (HTTP) nor INTERNAL/UNKNOWN/UNAVAILABLE/DATA_LOSS (gRPC), and the server
 * still answers its health checks afterwards. Shared by server.fuzz.slow.test.ts (quick) and fuzz-runner.ts.
 */
import assert from 'node:assert/strict';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import type { RunningServer } from '../../src/index.js';
import { DATATYPES, type Datatype } from '../../src/tensor/index.js';
import { startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';
import { elementOf, toJsonText } from './arbitraries.js';
import { assertFramedResponse, binaryOutputCase, type BinaryCase, type ModelSignature } from './binary-output.js';
import { controlCase, type ControlCase } from './control-arbitraries.js';
import { grpcRequestBytes } from './grpc-arbitraries.js';
import { grpcCall, grpcControlCall, type GrpcCall } from './grpc-rpc-arbitraries.js';
import { v1Case } from './v1-arbitraries.js';
import { anyBinary, v2JsonBody } from './v2-arbitraries.js';

/** gRPC codes that would mean the server failed rather than refused: never acceptable for any input. */
const SERVER_FAULTS = new Set<number>([status.UNKNOWN, status.INTERNAL, status.UNAVAILABLE, status.DATA_LOSS]);

export interface FuzzServer {
  readonly server: RunningServer;
  readonly grpc: Client;
  stop(): Promise<void>;
}

/**
 * A server on port 0 (HTTP and gRPC) serving dtypes_identity (every datatype), digits and two_in_two_out. With
 * `control`, models are loaded and unloaded explicitly and digits has two versions (for traffic and rollouts).
 */
export async function startFuzzServer(options: { control?: boolean } = {}): Promise<FuzzServer> {
  const repo: TempRepository = await tempRepository({
    dtypes: { onnx: 'dtypes_identity.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 4\n' } },
    digits: {
      onnx: 'models/digits/1/model.onnx',
      versions: options.control ? [1, 2] : [1],
      config: { file: 'config.yaml', text: 'max_batch_size: 8\n' },
    },
    two: { onnx: 'two_in_two_out.onnx' },
  });
  const control = options.control ? { model_control_mode: 'explicit' as const, load_models: ['*'] } : {};
  const server = await startTestServer({
    repository: repo.dir,
    bodyLimitBytes: 8 * 1024 * 1024,
    config: { grpc_port: 0, metrics_port: -1, ...control },
  });
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

const V2_PATHS = [
  '/v2/models/dtypes/infer',
  '/v2/models/digits/infer',
  '/v2/models/two/infer',
  '/v2/models/dtypes/versions/1/infer',
  '/v2/models/nope/infer',
  '/v2/models/digits/versions/x/infer',
];
const V1_PATHS = [
  '/v1/models/dtypes:predict',
  '/v1/models/digits:predict',
  '/v1/models/two:predict',
  '/v1/models/nope:predict',
];

interface HttpCase {
  readonly path: string;
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

const httpCase: fc.Arbitrary<HttpCase> = fc.oneof(
  {
    arbitrary: fc.tuple(fc.constantFrom(...V2_PATHS), v2JsonBody).map(([path, body]) => ({ path, body, headers: {} })),
    weight: 4,
  },
  {
    arbitrary: fc.tuple(fc.constantFrom(...V2_PATHS), anyBinary).map(([path, b]) => ({
      path,
      body: b.body,
      headers: { 'inference-header-content-length': b.headerLength.trim() },
    })),
    weight: 3,
  },
  {
    arbitrary: fc.tuple(fc.constantFrom(...V1_PATHS), v1Case).map(([path, c]) => ({ path, body: c.body, headers: {} })),
    weight: 2,
  },
  {
    arbitrary: dtypesRequest.map((r) => ({
      path: '/v2/models/dtypes/infer',
      body: Buffer.from(toJsonText(r)),
      headers: {},
    })),
    weight: 1,
  },
);

async function post({ path, body, headers }: HttpCase, url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.status, text: await res.text() };
}

/** Calls one RPC with raw message bytes (no client-side serialisation); resolves with the status code. */
function callRaw(client: Client, method: string, bytes: Buffer): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/inference.GRPCInferenceService/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      new Metadata(),
      { deadline: Date.now() + 30_000 },
      (err: ServiceError | null) =>
        resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' }),
    );
  });
}

const grpcCase: fc.Arbitrary<Buffer> = fc.oneof(
  { arbitrary: grpcRequestBytes, weight: 4 },
  // Aimed at a real model (a later model_name field wins), so decoded requests run through the whole service.
  {
    arbitrary: grpcRequestBytes.map((b) => Buffer.concat([b, Buffer.from([0x0a, 0x06]), Buffer.from('dtypes')])),
    weight: 2,
  },
);

/** Health after the run: HTTP live and ready, gRPC ServerLive answers. */
async function assertHealthy(f: FuzzServer): Promise<void> {
  assert.equal((await fetch(`${f.server.url}/v2/health/live`)).status, 200, 'HTTP liveness after fuzzing');
  assert.equal((await fetch(`${f.server.url}/v2/health/ready`)).status, 200, 'HTTP readiness after fuzzing');
  assert.equal((await callRaw(f.grpc, 'ServerLive', Buffer.alloc(0))).code, status.OK, 'gRPC ServerLive after fuzzing');
}

export interface ServerFuzzReport {
  /** Requests sent, over every door. */
  readonly cases: number;
  /** Answers that were a server fault (HTTP 5xx, gRPC INTERNAL/UNKNOWN/UNAVAILABLE/DATA_LOSS): 0, or the run threw. */
  readonly faults: number;
  readonly lines: string[];
}

/** One door of the server: an arbitrary request and how to send it; `send` throws on a server fault. */
interface Door<T> {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  send(value: T): Promise<string>;
}

/** A case the server has not answered within this time fails the run: a fuzzed request must be answered, not left waiting. */
const CASE_TIMEOUT_MS = Number(process.env.FUZZ_CASE_TIMEOUT_MS ?? 20_000);

async function answeredWithin<T>(answer: Promise<T>, ms: number, value: unknown): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms to ${describeCase(value)}`)), ms);
  });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

function describeCase(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer'
      ? Buffer.from((v as { data: number[] }).data)
          .subarray(0, 400)
          .toString()
      : v,
  ).slice(0, 1200);
}

async function runDoor<T>(door: Door<T>, runs: number, seed: number | undefined, lines: string[]): Promise<void> {
  const outcomes = new Map<string, number>();
  const t0 = performance.now();
  let fault = '';
  try {
    await fc.assert(
      fc.asyncProperty(door.arbitrary, async (value) => {
        try {
          const outcome = await answeredWithin(door.send(value), CASE_TIMEOUT_MS, value);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        } catch (err) {
          fault =
            err instanceof Error
              ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}`
              : String(err);
          throw err;
        }
      }),
      { numRuns: runs, ...(seed === undefined ? {} : { seed }), endOnFailure: true },
    );
  } catch (err) {
    throw new Error(`${door.name}: ${fault}\n${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const tally = [...outcomes]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([o, n]) => `${o}×${n}`)
    .join(', ');
  lines.push(`server ${door.name}: ${runs} in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${tally}`);
}

function httpDoor(name: string, url: string, arbitrary: fc.Arbitrary<HttpCase>): Door<HttpCase> {
  return {
    name,
    arbitrary,
    send: async (c) => {
      const r = await post(c, url);
      if (r.status >= 500)
        throw new Error(
          `POST ${c.path} answered ${r.status}: ${r.text.slice(0, 300)}; body ${c.body.subarray(0, 200).toString()}`,
        );
      return String(r.status);
    },
  };
}

function grpcDoor(name: string, client: Client, arbitrary: fc.Arbitrary<GrpcCall>): Door<GrpcCall> {
  return {
    name,
    arbitrary,
    send: async ({ method, bytes }) => {
      const r = await callRaw(client, method, bytes);
      if (SERVER_FAULTS.has(r.code))
        throw new Error(
          `${method} answered ${status[r.code]}: ${r.details.slice(0, 300)}; ${bytes.length} request bytes ${bytes.subarray(0, 64).toString('hex')}`,
        );
      return status[r.code]!;
    },
  };
}

/** The binary tensor extension: requests built from each served model's metadata, answers checked for framing. */
async function binaryOutputDoor(url: string): Promise<Door<BinaryCase>> {
  const signatures = await Promise.all(
    ['dtypes', 'digits', 'two'].map(
      async (m) => (await (await fetch(`${url}/v2/models/${m}`)).json()) as ModelSignature,
    ),
  );
  return {
    name: 'HTTP binary tensor extension (inputs and outputs)',
    arbitrary: fc.oneof(...signatures.map(binaryOutputCase)),
    send: async (c) => {
      const res = await fetch(`${url}${c.path}`, {
        method: 'POST',
        body: c.body,
        headers: {
          'content-type': c.headerLength ? 'application/octet-stream' : 'application/json',
          ...(c.headerLength ? { 'inference-header-content-length': c.headerLength } : {}),
        },
      });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status >= 500)
        throw new Error(
          `POST ${c.path} answered ${res.status}: ${body.subarray(0, 300).toString()}; body ${c.body.subarray(0, 300).toString()}`,
        );
      if (res.status === 200) assertFramedResponse(body, res.headers.get('inference-header-content-length'));
      else
        assert.ok(
          typeof (JSON.parse(body.toString('utf8')) as { error?: unknown }).error === 'string',
          `a ${res.status} answer without a JSON error: ${body.subarray(0, 200).toString()}`,
        );
      return String(res.status);
    },
  };
}

function controlDoor(url: string): Door<ControlCase> {
  return {
    name: 'HTTP model control, feedback, traffic, rollouts and reports',
    arbitrary: controlCase,
    send: async (c) => {
      const res = await fetch(`${url}${c.path}`, {
        method: c.method,
        ...(c.body === undefined ? {} : { body: c.body }),
        headers: c.body ? { 'content-type': 'application/json' } : {},
      });
      const text = await res.text();
      if (res.status >= 500)
        throw new Error(
          `${c.method} ${c.path} answered ${res.status}: ${text.slice(0, 300)}; body ${c.body?.subarray(0, 300).toString() ?? ''}`,
        );
      return String(res.status);
    },
  };
}

/**
 * Runs `runs` cases through every door: on one server, inference over HTTP (V2 JSON, V2 binary, V1), the binary
 * tensor extension with framed answers, ModelInfer, and every other RPC; then, on a server in explicit model
 * control mode, the HTTP control endpoints and gRPC load/unload. Throws on the first server fault, and unless
 * both servers are still live and ready afterwards.
 */
export async function runServerFuzz(runs: number, seed?: number): Promise<ServerFuzzReport> {
  const lines: string[] = [];
  let doors = 0;
  const data = await startFuzzServer();
  try {
    const url = data.server.url;
    for (const door of [
      httpDoor('HTTP inference (V2 JSON, V2 binary, V1)', url, httpCase),
      await binaryOutputDoor(url),
    ]) {
      await runDoor<HttpCase | BinaryCase>(door as Door<HttpCase | BinaryCase>, runs, seed, lines);
      doors++;
    }
    for (const door of [
      grpcDoor(
        'gRPC ModelInfer',
        data.grpc,
        grpcCase.map((bytes) => ({ method: 'ModelInfer', bytes })),
      ),
      grpcDoor('gRPC every RPC', data.grpc, grpcCall),
    ]) {
      await runDoor(door, runs, seed, lines);
      doors++;
    }
    await assertHealthy(data);
  } finally {
    await data.stop();
  }
  const control = await startFuzzServer({ control: true });
  try {
    await runDoor(controlDoor(control.server.url), runs, seed, lines);
    await runDoor(grpcDoor('gRPC RepositoryModelLoad/Unload', control.grpc, grpcControlCall), runs, seed, lines);
    doors += 2;
    await assertHealthy(control);
  } finally {
    await control.stop();
  }
  lines.push('both servers still live and ready (HTTP and gRPC) afterwards');
  return { cases: doors * runs, faults: 0, lines };
}
