import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grpcAction } from './grpc-auth.js';

test('gRPC methods map as their HTTP twins', () => {
  assert.equal(grpcAction('ServerLive'), 'open');
  assert.equal(grpcAction('ServerReady'), 'open');
  assert.equal(grpcAction('ModelInfer'), 'infer');
  assert.equal(grpcAction('RepositoryModelUnload'), 'admin');
  assert.equal(grpcAction('ModelMetadata'), 'read');
});
