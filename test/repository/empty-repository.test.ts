/**
 * The library entry point refuses a repository that cannot be served with the same typed error the CLI prints,
 * and never creates the folder; an empty start is possible in explicit and poll mode when asked for.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ConfigError, Inferd, ModelRepositoryError } from '../../src/index.js';
import { startTestServer } from '../helpers/server.js';

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'inferd-empty-repo-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function folder(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  return dir;
}

/** Asserts that `promise` rejects with a ModelRepositoryError of this problem; returns it. */
async function refused(
  promise: Promise<unknown>,
  problem: ModelRepositoryError['problem'],
): Promise<ModelRepositoryError> {
  const err = await promise.then(
    () => assert.fail('the start resolved'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelRepositoryError, `a ModelRepositoryError, got ${String(err)}`);
  assert.ok(err instanceof ConfigError);
  assert.equal(err.code, 'CONFIG_INVALID');
  assert.equal(err.problem, problem);
  return err;
}

test('a missing repository rejects with problem "missing" and is not created, not even with a rollout store', async () => {
  const missing = join(scratch, 'gone', 'models');
  const err = await refused(
    Inferd.create({
      modelRepository: missing,
      rollouts: { store: 'sqlite', path: join(missing, '.inferd', 'rollouts.db'), defaultPath: true },
    }),
    'missing',
  );
  assert.equal(err.path, missing);
  assert.match(err.message, /does not exist \(inferd never creates it\)/);
  assert.equal(existsSync(join(scratch, 'gone')), false);
});

test('startServer rejects a missing repository with the same error, before anything listens', async () => {
  const missing = join(scratch, 'also-gone');
  await refused(startTestServer({ repository: missing, config: { grpc_port: -1, metrics_port: -1 } }), 'missing');
  assert.equal(existsSync(missing), false);
});

test('a file rejects with problem "not_a_folder"', async () => {
  const file = join(scratch, 'file');
  writeFileSync(file, '');
  await refused(Inferd.create({ modelRepository: file }), 'not_a_folder');
});

test('an empty repository rejects with problem "empty" in every mode unless allowed, and nothing is written into it', async () => {
  const dir = folder('empty');
  for (const modelControlMode of ['none', 'explicit', 'poll'] as const) {
    const err = await refused(
      Inferd.create({
        modelRepository: dir,
        modelControlMode,
        rollouts: { store: 'sqlite', path: join(dir, '.inferd', 'rollouts.db'), defaultPath: true },
      }),
      'empty',
    );
    assert.match(err.message, /--allow-empty-repository/);
  }
  await refused(Inferd.create({ modelRepository: dir, allowEmptyRepository: true }), 'empty');
  assert.deepEqual(readdirSync(dir), []);
});

test('allowEmptyRepository starts an empty repository in explicit and poll mode, ready with no models', async () => {
  const dir = folder('allowed');
  for (const modelControlMode of ['explicit', 'poll'] as const) {
    const inferd = await Inferd.create({ modelRepository: dir, modelControlMode, allowEmptyRepository: true });
    try {
      assert.deepEqual(inferd.service.index(), []);
      assert.equal(inferd.service.isServerReady(true), true);
    } finally {
      await inferd.stop();
    }
  }
});
