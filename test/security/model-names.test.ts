/**
 * Model names and config-given file names never leave the model repository: the load/unload APIs (HTTP and
 * gRPC), a load request's config override, and `--load-model` refuse '..', separators, NUL and absolute paths
 * with a 400 / INVALID_ARGUMENT (or a start-up error) that says what is allowed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/index.js';
import { connect, type InferenceClient } from '../grpc/grpc-client.js';
import { CLI_PATH, ROOT, startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';
import { GIVE_UP_MS } from '../helpers/wait-for.js';

// Encoded: fetch would resolve a literal '..' segment before sending; the server decodes these into the name.
const TRAVERSALS = ['..%2Fdigits', '..%2F..%2Fetc', '%2Fetc%2Fpasswd', 'a%00b', '.hidden', '%5C..%5Cx', '..%00'];

async function post(server: RunningServer, path: string, body?: unknown): Promise<{ status: number; error: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, error: text ? String((JSON.parse(text) as { error?: unknown }).error) : '' };
}

describe('model names and config file names stay inside the repository', () => {
  let repo: TempRepository;
  let server: RunningServer;
  let grpc: InferenceClient;

  before(async () => {
    repo = await tempRepository({ digits: { onnx: 'models/digits/1/model.onnx' } });
    // A file beside the repository that a traversing name or file name would reach.
    await writeFile(join(repo.dir, '..', 'outside.onnx'), 'not a model');
    server = await startTestServer({
      repository: repo.dir,
      config: { grpc_port: 0, metrics_port: -1, model_control_mode: 'explicit' },
    });
    grpc = connect(server.grpcUrl!);
  });

  after(async () => {
    grpc?.close();
    await server?.close();
    await repo?.cleanup();
  });

  for (const name of TRAVERSALS) {
    it(`HTTP load and unload of '${decodeURIComponent(name)}' answer 400 naming the rule`, async () => {
      for (const action of ['load', 'unload']) {
        const r = await post(server, `/v2/repository/models/${name}/${action}`);
        assert.equal(r.status, 400, `${action} ${name}: ${r.error}`);
        assert.match(r.error, /invalid model name .*letters, digits/);
      }
    });
  }

  it('gRPC RepositoryModelLoad and Unload refuse a traversing name with INVALID_ARGUMENT', async () => {
    for (const method of ['RepositoryModelLoad', 'RepositoryModelUnload']) {
      for (const name of ['../digits', '/etc/passwd', 'a\0b', '..']) {
        const err = (await grpc.call(method, { model_name: name }).then(
          () => undefined,
          (e: ServiceError) => e,
        )) as ServiceError | undefined;
        assert.ok(err, `${method} '${name}' succeeded`);
        assert.equal(err.code, status.INVALID_ARGUMENT, `${method} '${name}': ${err.details}`);
        assert.match(err.details, /invalid model name/);
      }
    }
  });

  it('a config override whose default_model_filename leaves the version folder is refused with 400', async () => {
    for (const file of ['../../outside.onnx', '/etc/passwd', 'sub/model.onnx', 'model\0.onnx', '..']) {
      const config = { backend: 'onnxruntime', default_model_filename: file };
      const r = await post(server, '/v2/repository/models/digits/load', {
        parameters: { config: JSON.stringify(config) },
      });
      assert.equal(r.status, 400, `${file}: ${r.error}`);
      assert.match(r.error, /default_model_filename .* must be a file name inside the version folder/);
    }
    // A plain file name passes the check (and then loads or fails on its own merits).
    const ok = await post(server, '/v2/repository/models/digits/load', {
      parameters: { config: JSON.stringify({ backend: 'onnxruntime', default_model_filename: 'model.onnx' }) },
    });
    assert.equal(ok.status, 200, ok.error);
  });

  it('a config override naming another model is refused with 400', async () => {
    const r = await post(server, '/v2/repository/models/digits/load', {
      parameters: { config: JSON.stringify({ name: '../other' }) },
    });
    assert.equal(r.status, 400, r.error);
    assert.match(r.error, /is not the model being loaded \('digits'\)/);
  });

  it('gRPC RepositoryModelLoad with a traversing default_model_filename answers INVALID_ARGUMENT', async () => {
    const config = JSON.stringify({ backend: 'onnxruntime', default_model_filename: '../../outside.onnx' });
    const err = (await grpc
      .call('RepositoryModelLoad', { model_name: 'digits', parameters: { config: { string_param: config } } })
      .then(
        () => undefined,
        (e: ServiceError) => e,
      )) as ServiceError | undefined;
    assert.ok(err, 'the load succeeded');
    assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
    assert.match(err.details, /default_model_filename/);
  });
});

describe('inferd serve --load-model', () => {
  it('refuses a traversing model name before starting, naming the setting', () => {
    const r = spawnSync(
      process.execPath,
      [
        CLI_PATH,
        'serve',
        '--model-repository',
        'models',
        '--model-control-mode',
        'explicit',
        '--load-model',
        '../models/digits',
        '--http-port',
        '0',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: GIVE_UP_MS,
      },
    );
    assert.equal(r.status, 2, `exit ${r.status}; stderr: ${r.stderr}`);
    assert.match(r.stderr, /load_models/);
    assert.match(r.stderr, /a model name/);
  });
});
