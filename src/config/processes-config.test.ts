import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveServerConfig } from './server-config.js';
import { resolveProcesses } from './processes-config.js';

test("processes: a number, 'auto' as the available cores, 1 by default", () => {
  assert.equal(resolveProcesses('auto', 16), 16);
  assert.equal(resolveProcesses(3, 16), 3);
  assert.equal(resolveServerConfig({ model_repository: 'models' }).processes, 1);
  assert.equal(resolveServerConfig({ model_repository: 'models', processes: 2 }).processes, 2);
  assert.ok(resolveServerConfig({ model_repository: 'models', processes: 'auto' }).processes >= 1);
});

test('processes out of range is refused, saying what is allowed', () => {
  assert.throws(
    () => resolveServerConfig({ model_repository: 'models', processes: 0 }),
    /invalid server configuration[\s\S]*processes/,
  );
});
