import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ArtifactCache } from './artifact-cache.js';

function cacheDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-cache-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('opening the cache removes what a killed download left, and nothing else', async () => {
  const { dir, cleanup } = cacheDir();
  try {
    mkdirSync(join(dir, '.tmp', 'digits-1-abc'), { recursive: true });
    writeFileSync(join(dir, '.tmp', 'digits-1-abc', 'model.onnx'), 'half a model');
    mkdirSync(join(dir, 'digits', 'snap', '1'), { recursive: true });
    await new ArtifactCache(dir).open();
    assert.deepEqual(readdirSync(join(dir, '.tmp')), []);
    assert.ok(existsSync(join(dir, 'digits', 'snap', '1')));
  } finally {
    cleanup();
  }
});

test('a version is published whole by a rename, replacing an older folder; its record follows it', async () => {
  const { dir, cleanup } = cacheDir();
  try {
    const cache = new ArtifactCache(dir);
    await cache.open();
    const target = join(cache.modelDir('digits', 'snap'), '1');
    for (const content of ['first', 'second']) {
      const temp = await cache.tempDir('digits-1');
      writeFileSync(join(temp, 'model.onnx'), content);
      await cache.forgetVersion('digits', 'snap', '1');
      assert.equal(await cache.versionDigest('digits', 'snap', '1'), undefined);
      await cache.publish(temp, target);
      await cache.recordVersion('digits', 'snap', '1', `digest-${content}`);
      assert.equal(readFileSync(join(target, 'model.onnx'), 'utf8'), content);
    }
    assert.equal(await cache.versionDigest('digits', 'snap', '1'), 'digest-second');
    assert.equal(await cache.findVersion('digits', '1', 'digest-second'), target);
    assert.deepEqual(readdirSync(join(dir, '.tmp')), [], 'the replaced folder is gone');
  } finally {
    cleanup();
  }
});
