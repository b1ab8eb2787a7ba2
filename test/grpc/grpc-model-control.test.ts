import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { connect, grpcError } from './grpc-client.js';
import { startTestServer } from '../helpers/server.js';

test('explicit mode over gRPC: RepositoryModelLoad with a config, then RepositoryModelUnload', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-grpc-control-'));
  mkdirSync(join(dir, 'digits', '1'), { recursive: true });
  cpSync('models/digits/1/model.onnx', join(dir, 'digits', '1', 'model.onnx'));
  const server = await startTestServer({ repository: dir, config: { model_control_mode: 'explicit' } });
  const client = connect(server.grpcUrl!);
  try {
    assert.equal((await client.call<{ ready: boolean }>('ModelReady', { name: 'digits' })).ready, false);
    const config = JSON.stringify({ max_batch_size: 4 });
    await client.call('RepositoryModelLoad', {
      model_name: 'digits',
      parameters: { config: { string_param: config } },
    });
    assert.equal((await client.call<{ ready: boolean }>('ModelReady', { name: 'digits' })).ready, true);
    const meta = await client.call<{ config: { max_batch_size: number } }>('ModelConfig', { name: 'digits' });
    assert.equal(meta.config.max_batch_size, 4);
    await client.call('RepositoryModelUnload', { model_name: 'digits' });
    assert.equal((await client.call<{ ready: boolean }>('ModelReady', { name: 'digits' })).ready, false);
    const missing = await grpcError(client.call('RepositoryModelLoad', { model_name: 'nope' }));
    assert.equal(missing.code, status.INVALID_ARGUMENT);
    assert.match(missing.details, /model 'nope' is not in the repository/);
  } finally {
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
