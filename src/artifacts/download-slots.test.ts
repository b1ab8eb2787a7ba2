import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DownloadSlots } from './download-slots.js';

test('never more than the limit at once; the others start in order as slots free, also after a failure', async () => {
  const slots = new DownloadSlots(2);
  let active = 0;
  let most = 0;
  const started: number[] = [];
  const release: Array<() => void> = [];
  const tasks = Array.from({ length: 6 }, (_, i) =>
    slots
      .run(async () => {
        started.push(i);
        most = Math.max(most, ++active);
        await new Promise<void>((resolve) => release.push(resolve));
        active -= 1;
        if (i === 1) throw new Error('download failed');
      })
      .catch(() => 'failed'),
  );
  while (started.length < 6) {
    await new Promise((r) => setImmediate(r));
    assert.ok(release.length <= 2, 'at most two running');
    release.shift()?.();
  }
  release.forEach((r) => r());
  await Promise.all(tasks);
  assert.equal(most, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
});
