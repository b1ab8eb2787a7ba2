/**
 * Readiness depends only on the models the server is meant to serve (those it started with, or loaded since,
 * minus those unloaded), each needing a READY version:
 * - a load request for a name the repository does not hold is refused and leaves no trace (index, readiness,
 *   metrics, per-name bookkeeping), however many names are tried, over HTTP and gRPC;
 * - a refused new version (a corrupt model.onnx dropped as version 2, in poll mode or loaded on request) keeps
 *   readiness true while version 1 answers;
 * - a model meant to serve with no serving version makes readiness false, and the body says which and why.
 */
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Client, credentials, type Metadata, type ServiceError } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/index.js';
import { connect, type InferenceClient } from '../grpc/grpc-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { call, digitsBody, infer, MODELS, putVersion, tempRepo } from './lifecycle-helpers.js';
import { startTestServer } from '../helpers/server.js';

interface IndexRow {
  name: string;
  version?: string;
  state: string;
  reason?: string;
}

interface ReadyBody {
  ready: boolean;
  reasons: Array<{ model?: string; dependency?: string; reason: string }>;
}

async function readiness(server: RunningServer): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/v2/health/ready`);
  return { status: res.status, text: await res.text() };
}

/** ServerReady over gRPC. */
function grpcReady(client: InferenceClient): Promise<boolean> {
  return client.call<{ ready: boolean }>('ServerReady').then((r) => r.ready);
}

/** The per-name operation chains the registry keeps while a model has operations pending (private). */
function pendingChains(server: RunningServer): number {
  // A white-box look, on purpose: "nothing accumulates per name" has no public face besides memory.
  const registry = (server.inferd as unknown as { registry: { chains: Map<string, unknown> } }).registry;
  return registry.chains.size;
}

describe('phantom models: loading names the repository does not hold', () => {
  const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
  const roots = [repo.dir, realpathSync(repo.dir)];
  let server: RunningServer;
  let grpc: InferenceClient;

  before(async () => {
    server = await startTestServer({
      repository: repo.dir,
      config: { grpc_port: 0, metrics_port: 0, model_control_mode: 'explicit', load_models: ['digits'] },
    });
    grpc = connect(server.grpcUrl!);
  });
  after(async () => {
    grpc?.close();
    await server?.close();
    repo.cleanup();
  });

  test('every refusal names the model and how to list the models, and no absolute path; nothing is left', async () => {
    const indexBefore = (await call<IndexRow[]>(`${server.url}/v2/repository/index`, { body: {} })).body;
    assert.equal((await readiness(server)).status, 200);
    const names = Array.from({ length: 300 }, (_, i) => `phantom-${i}`);
    for (let i = 0; i < names.length; i += 30) {
      const batch = names.slice(i, i + 30);
      const answers = await Promise.all(
        batch.map((n) => call<{ error: string }>(`${server.url}/v2/repository/models/${n}/load`, { body: {} })),
      );
      for (const [k, a] of answers.entries()) {
        assert.equal(a.status, 400, JSON.stringify(a.body));
        assert.match(
          a.body.error,
          new RegExp(`model '${batch[k]}' is not in the repository; POST /v2/repository/index`),
        );
        for (const root of roots)
          assert.ok(!a.body.error.includes(root), `the answer shows the repository's path: ${a.body.error}`);
      }
    }
    const grpcNames = Array.from({ length: 50 }, (_, i) => `grpc-phantom-${i}`);
    const refusals = await Promise.all(
      grpcNames.map((n) =>
        grpc.call('RepositoryModelLoad', { model_name: n }).then(
          () => undefined,
          (e: ServiceError) => e,
        ),
      ),
    );
    for (const [k, e] of refusals.entries()) {
      assert.ok(e, 'refused');
      assert.equal(e.code, 3, e.details); // INVALID_ARGUMENT, as HTTP's 400 (Triton answers both so)
      assert.match(e.details, new RegExp(`model '${grpcNames[k]}' is not in the repository`));
      for (const root of roots) assert.ok(!e.details.includes(root), e.details);
    }

    assert.deepEqual(
      (await call<IndexRow[]>(`${server.url}/v2/repository/index`, { body: {} })).body,
      indexBefore,
      'the index is unchanged',
    );
    const ready = await readiness(server);
    assert.deepEqual(ready, { status: 200, text: '' }, 'still ready');
    assert.equal(await grpcReady(grpc), true);
    const metrics = await (await fetch(server.metricsUrl!)).text();
    assert.doesNotMatch(metrics, /phantom-/, 'no metric series names a phantom model');
    await waitFor(() => pendingChains(server) === 0, 'the registry to forget the refused names');
    assert.equal((await infer(`${server.url}/v2/models/digits/infer`, digitsBody(0))).status, 200);
  });
});

describe('a refused new version while the previous one serves (poll mode)', () => {
  const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
  const roots = [repo.dir, realpathSync(repo.dir)];
  let server: RunningServer;
  let grpc: InferenceClient;

  before(async () => {
    server = await startTestServer({
      repository: repo.dir,
      config: { grpc_port: 0, metrics_port: -1, model_control_mode: 'poll', repository_poll_secs: 3600 },
    });
    grpc = connect(server.grpcUrl!);
  });
  after(async () => {
    grpc?.close();
    await server?.close();
    repo.cleanup();
  });

  test('a corrupt model.onnx as version 2 is refused; readiness stays true while version 1 answers', async () => {
    assert.equal((await readiness(server)).status, 200);
    putVersion(repo.dir, 'digits', 2, MODELS.corrupt);
    await server.inferd.pollRepository();
    assert.deepEqual(await readiness(server), { status: 200, text: '' }, 'version 1 serves: still ready');
    const rows = (await call<IndexRow[]>(`${server.url}/v2/repository/index`, { body: {} })).body.filter(
      (r) => r.name === 'digits',
    );
    const v2 = rows.find((r) => r.version === '2');
    assert.equal(v2?.state, 'UNAVAILABLE', JSON.stringify(rows));
    assert.match(v2?.reason ?? '', /digits\/2\/model\.onnx/, 'the reason names the file relative to the repository');
    for (const root of roots) assert.ok(!(v2?.reason ?? '').includes(root), v2?.reason);
    assert.equal(await grpcReady(grpc), true);
    const answer = await infer(`${server.url}/v2/models/digits/infer`, digitsBody(1));
    assert.deepEqual([answer.status, answer.version], [200, '1']);
  });
});

describe('explicit mode: what the server is meant to serve', () => {
  const repo = tempRepo({
    digits: { versions: { 1: MODELS.digits } },
    broken: { versions: { 1: MODELS.corrupt } },
    spare: { versions: { 1: MODELS.corrupt } },
  });
  let server: RunningServer;
  let grpc: InferenceClient;

  before(async () => {
    server = await startTestServer({
      repository: repo.dir,
      config: { grpc_port: 0, metrics_port: -1, model_control_mode: 'explicit', load_models: ['digits', 'broken'] },
    });
    grpc = connect(server.grpcUrl!);
  });
  after(async () => {
    grpc?.close();
    await server?.close();
    repo.cleanup();
  });

  test('a model named at start with no serving version: not ready, and the body says which and why', async () => {
    const ready = await readiness(server);
    assert.equal(ready.status, 400);
    const body = JSON.parse(ready.text) as ReadyBody;
    assert.equal(body.ready, false);
    assert.deepEqual(
      body.reasons.map((r) => r.model),
      ['broken'],
      ready.text,
    );
    assert.match(body.reasons[0].reason, /version 1 UNAVAILABLE .*broken\/1\/model\.onnx/);
    assert.ok(!ready.text.includes(repo.dir) && !ready.text.includes(realpathSync(repo.dir)), ready.text);
    // gRPC says the same: false, with the reasons in the response metadata.
    const metadata = await new Promise<Metadata>((resolve, reject) => {
      const raw = new Client(server.grpcUrl!, credentials.createInsecure());
      const stream = raw.makeUnaryRequest(
        '/inference.GRPCInferenceService/ServerReady',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (err) => {
          raw.close();
          if (err) reject(err);
        },
      );
      stream.on('metadata', resolve);
    });
    const reasons = JSON.parse(String(metadata.get('inferd-readiness-bin')[0])) as ReadyBody['reasons'];
    assert.equal(reasons[0].model, 'broken');
    assert.equal(await grpcReady(grpc), false);
  });

  test('a failed load of a model not meant to serve, and a refused new version, leave readiness as it was', async () => {
    const refused = await call<{ error: string }>(`${server.url}/v2/repository/models/spare/load`, { body: {} });
    assert.equal(refused.status, 400);
    assert.deepEqual(
      (JSON.parse((await readiness(server)).text) as ReadyBody).reasons.map((r) => r.model),
      ['broken'],
      'spare does not count',
    );
    putVersion(repo.dir, 'digits', 2, MODELS.corrupt);
    const v2 = await call<{ error: string }>(`${server.url}/v2/repository/models/digits/load`, { body: {} });
    assert.equal(v2.status, 400, 'version 2 is refused');
    assert.deepEqual(
      (JSON.parse((await readiness(server)).text) as ReadyBody).reasons.map((r) => r.model),
      ['broken'],
      'digits still serves',
    );
    const answer = await infer(`${server.url}/v2/models/digits/infer`, digitsBody(2));
    assert.deepEqual([answer.status, answer.version], [200, '1']);
  });

  test('unloading the model that does not serve makes the server ready', async () => {
    assert.equal((await call(`${server.url}/v2/repository/models/broken/unload`, { body: {} })).status, 200);
    assert.deepEqual(await readiness(server), { status: 200, text: '' });
    assert.equal(await grpcReady(grpc), true);
  });
});
