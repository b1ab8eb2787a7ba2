/**
 * Error messages never reveal where the model repository lives: a corrupt model file, a version folder without a
 * model, a config naming a file that is not there and a config that does not parse are each driven through every
 * answer that reports them (load requests over HTTP and gRPC, the repository index, readiness, model status,
 * metadata and inference), and no answer contains the repository's absolute path. Files are named relative to
 * the repository instead (e.g. corrupt/1/model.onnx).
 */
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ServiceError } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/index.js';
import { connect, type InferenceClient } from '../grpc/grpc-client.js';
import { digitsBody, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { startTestServer } from '../helpers/server.js';

const BROKEN = ['corrupt', 'nofile', 'missingfile', 'badyaml'] as const;

describe('no absolute paths in answers', () => {
  const repo = tempRepo({
    digits: { versions: { 1: MODELS.digits } },
    corrupt: { versions: { 1: MODELS.corrupt } },
    missingfile: { versions: { 1: MODELS.digits }, config: 'runtime: onnx\ndefault_model_filename: weights.onnx\n' },
    badyaml: { versions: { 1: MODELS.digits }, config: 'max_batch_size: [\n' },
  });
  mkdirSync(join(repo.dir, 'nofile', '1'), { recursive: true });
  writeFileSync(join(repo.dir, 'nofile', '1', 'README.txt'), 'the model file was never copied here');
  const roots = [repo.dir, realpathSync(repo.dir)];
  /** Every answer collected, as text, with where it came from. */
  const answers: Array<{ what: string; text: string }> = [];
  let server: RunningServer;
  let grpc: InferenceClient;

  const http = async (what: string, path: string, method = 'GET', body?: string) => {
    const res = await fetch(`${server.url}${path}`, { method, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    answers.push({ what, text });
    return { status: res.status, text };
  };
  const rpc = async (what: string, method: string, request: object) => {
    const text = await grpc.call(method, request).then(
      (r) => JSON.stringify(r),
      (e: ServiceError) => e.details,
    );
    answers.push({ what, text });
    return text;
  };

  before(async () => {
    server = await startTestServer({
      repository: repo.dir,
      config: { grpc_port: 0, metrics_port: -1, model_control_mode: 'explicit', load_models: ['*'] },
    });
    grpc = connect(server.grpcUrl!);
  });
  after(async () => {
    grpc?.close();
    await server?.close();
    repo.cleanup();
  });

  test('load requests, index, readiness, status, metadata and inference of broken models', async () => {
    const index = await http('index', '/v2/repository/index', 'POST', '{}');
    for (const [model, file] of [
      ['corrupt', 'corrupt/1/model.onnx'],
      ['nofile', 'nofile/1'],
      ['missingfile', 'weights.onnx'],
      ['badyaml', 'badyaml/config.yaml'],
    ]) {
      assert.ok(index.text.includes(file), `the index explains ${model} naming ${file}: ${index.text}`);
    }
    const ready = await http('readiness', '/v2/health/ready');
    assert.equal(ready.status, 400, 'the broken models were named at start');
    for (const m of BROKEN) assert.ok(ready.text.includes(`"model":"${m}"`), ready.text);
    for (const m of [...BROKEN, 'not-there']) {
      const load = await http(`load ${m}`, `/v2/repository/models/${m}/load`, 'POST', '{}');
      assert.equal(load.status, 400, load.text);
      await http(`infer ${m}`, `/v2/models/${m}/infer`, 'POST', digitsBody(0));
      await http(`metadata ${m}`, `/v2/models/${m}`);
      await http(`config ${m}`, `/v2/models/${m}/config`);
      await http(`v1 status ${m}`, `/v1/models/${m}`);
      await http(`v1 predict ${m}`, `/v1/models/${m}:predict`, 'POST', '{"instances": [[0]]}');
      assert.match(
        await rpc(`grpc load ${m}`, 'RepositoryModelLoad', { model_name: m }),
        new RegExp(m),
        'the answer names the model',
      );
      await rpc(`grpc metadata ${m}`, 'ModelMetadata', { name: m });
      await rpc(`grpc infer ${m}`, 'ModelInfer', {
        model_name: m,
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: new Array(64).fill(0) } },
        ],
      });
    }
    await rpc('grpc index', 'RepositoryIndex', {});
    assert.ok(answers.length > 40);
    const leaks = answers.filter((a) => roots.some((r) => a.text.includes(r)));
    assert.deepEqual(leaks, [], `answers that show the repository's absolute path (${roots.join(' or ')})`);
  });
});
