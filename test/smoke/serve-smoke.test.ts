/**
 * The smoke suite: the built `inferd serve` command, run by the Node that runs this file, serves the example
 * repository end to end. It starts in explicit mode with digits loaded, answers over HTTP and gRPC (the same
 * answer, the reference one), loads and unloads another model on request, and stops cleanly on SIGTERM.
 *
 * Part of the default suite on the machine's Node; `npm run test:node-lts` (scripts/node-lts-smoke.sh) runs it on
 * other Node LTS lines installed from the npm registry, with native dependencies built for them. So it imports
 * nothing but node builtins, @grpc/grpc-js and the test helpers, and reads only models/, proto/ and
 * test/fixtures/reference/.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { asFloat32, asInt64, connect, rawBytes, rawOutput, type InferenceClient } from '../grpc/grpc-client.js';
import {
  assertClose,
  CLI_PATH,
  get,
  inferBody,
  MODELS_DIR,
  outputNamed,
  postJson,
  readJsonFixture,
  ROOT,
} from '../helpers/server.js';
import { GIVE_UP_MS } from '../helpers/wait-for.js';

interface DigitsReference {
  inputs: number[][];
  logits: number[][];
  labels: number[];
}

interface BreastCancerReference {
  inputs: number[][];
  probabilities: number[][];
  labels: number[];
}

const digits = readJsonFixture<DigitsReference>('test/fixtures/reference/digits.json');
const cancer = readJsonFixture<BreastCancerReference>('test/fixtures/reference/breast_cancer.json');

/** A served `inferd serve` process: its URLs once listening, its log lines, and its exit. */
interface Served {
  readonly http: string;
  readonly grpc: string;
  readonly lines: string[];
  /** What it wrote to stderr (its log goes to stdout). */
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly kill: (signal: NodeJS.Signals) => boolean;
}

/** Starts `inferd serve` on port 0 everywhere and resolves once it logs that it listens (JSON log lines). */
async function serve(stateDir: string): Promise<Served> {
  const args = [
    CLI_PATH,
    'serve',
    '--model-repository',
    MODELS_DIR,
    '--state-dir',
    stateDir,
    '--model-control-mode',
    'explicit',
    '--load-model',
    'digits',
    '--http-port',
    '0',
    '--grpc-port',
    '0',
    '--metrics-port=-1',
  ];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INFERD_LOG_FORMAT: 'json', INFERD_LOG_LEVEL: 'info' },
  });
  const lines: string[] = [];
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (lines.push(chunk), (stderr += chunk)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let grpc = '';
  const listening = new Promise<string>((resolve, reject) => {
    // Only so that a start that never comes fails the test instead of hanging it.
    const giveUp = setTimeout(() => reject(new Error(`no "listening" line in ${GIVE_UP_MS} ms`)), GIVE_UP_MS).unref();
    createInterface({ input: proc.stdout }).on('line', (line) => {
      lines.push(line);
      if (!line.startsWith('{')) return;
      const record = JSON.parse(line) as { grpc_url?: string; url?: string; msg?: string };
      if (record.grpc_url) grpc = record.grpc_url;
      if (record.msg?.startsWith('inferd listening on') && record.url) resolve((clearTimeout(giveUp), record.url));
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`inferd exited (${code ?? signal}) before listening:\n${lines.join('\n')}`)),
    );
  });
  const http = await listening.catch((err: unknown) => {
    proc.kill('SIGKILL');
    throw err;
  });
  return { http, grpc, lines, stderr: () => stderr, exited, kill: (signal) => proc.kill(signal) };
}

const ready = async (client: InferenceClient, name: string) =>
  (await client.call<{ ready: boolean }>('ModelReady', { name })).ready;

describe(`inferd serve on Node ${process.version}`, () => {
  let stateDir: string;
  let server: Served;
  let client: InferenceClient;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'inferd-smoke-'));
    server = await serve(stateDir);
    assert.ok(server.grpc, `a "gRPC on" line before "listening":\n${server.lines.join('\n')}`);
    client = connect(server.grpc);
  });

  after(async () => {
    client?.close();
    if (server && server.kill('SIGKILL')) await server.exited;
    await rm(stateDir, { recursive: true, force: true });
  });

  it('starts ready with digits loaded and keeps its own state in SQLite (the native addon loads)', async () => {
    assert.equal((await get(`${server.http}/v2/health/ready`)).status, 200);
    assert.equal((await get(`${server.http}/v2/models/digits/ready`)).status, 200);
    assert.equal(await ready(client, 'breast_cancer'), false, 'explicit mode loads only what it is asked to');
    const files = await readdir(stateDir, { recursive: true });
    assert.ok(
      files.some((f) => /\.(sqlite|db)$/.test(f)),
      `a SQLite file in the state directory: ${files.join(', ')}`,
    );
  });

  it('answers digits over HTTP and gRPC with the reference logits and labels', async () => {
    const rows = digits.inputs.slice(0, 4);
    const res = await postJson(`${server.http}/v2/models/digits/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 64], data: rows.flat() }],
    });
    const body = inferBody(res);
    const httpLogits = outputNamed(body, 'logits').data as number[];
    assertClose(httpLogits, digits.logits.slice(0, 4).flat(), 1e-4, 'HTTP logits');
    assert.deepEqual(outputNamed(body, 'label').data, digits.labels.slice(0, 4));

    const answer = await client.call<Parameters<typeof rawOutput>[0]>('ModelInfer', {
      model_name: 'digits',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 64] }],
      raw_input_contents: [rawBytes(Float32Array.from(rows.flat()))],
    });
    assert.deepEqual(asFloat32(rawOutput(answer, 'logits').raw), httpLogits, 'gRPC and HTTP give the same logits');
    assert.deepEqual(asInt64(rawOutput(answer, 'label').raw), digits.labels.slice(0, 4).map(BigInt));
  });

  it('loads a model on request over HTTP, serves it, and unloads it over gRPC', async () => {
    const load = await postJson(`${server.http}/v2/repository/models/breast_cancer/load`, {});
    assert.equal(load.status, 200, load.text);
    assert.equal(await ready(client, 'breast_cancer'), true);
    const res = await postJson(`${server.http}/v2/models/breast_cancer/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 30], data: cancer.inputs.slice(0, 2).flat() }],
    });
    const probabilities = outputNamed(inferBody(res), 'probabilities').data;
    assertClose(probabilities, cancer.probabilities.slice(0, 2).flat(), 1e-5, 'probabilities');

    await client.call('RepositoryModelUnload', { model_name: 'breast_cancer' });
    assert.equal(await ready(client, 'breast_cancer'), false);
    assert.notEqual((await get(`${server.http}/v2/models/breast_cancer/ready`)).status, 200);
    assert.equal(await ready(client, 'digits'), true, 'unloading one model leaves the others serving');
  });

  it('stops cleanly on SIGTERM: exit code 0 after saying it is shutting down, and Node warned of nothing', async () => {
    client.close();
    server.kill('SIGTERM');
    const { code, signal } = await server.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, server.lines.slice(-5).join('\n'));
    assert.ok(
      server.lines.some((l) => l.includes('shutting down')),
      'the shutdown is logged',
    );
    // A deprecated or experimental API used on this Node line shows here first: "(node:123) [DEP0005] ...Warning".
    assert.doesNotMatch(server.stderr(), /Warning/, 'Node printed a warning');
  });
});
