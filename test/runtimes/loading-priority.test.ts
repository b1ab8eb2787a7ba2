/**
 * A model worker starts, loads and warms up at a lowered priority, but only where the process may raise it again;
 * once serving, no thread of the process is left lowered. The loads at start (nothing serves yet) are not lowered.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { startAtLoweredPriority, threadNice } from '../../src/runtimes/worker/loading-priority.js';
import { WorkerRuntime } from '../../src/runtimes/worker/worker-runtime.js';
import { ROOT } from '../helpers/server.js';

const linux = process.platform === 'linux';
const skip = !linux && 'thread priorities are read from /proc';

/** A thread may raise its priority again only with CAP_SYS_NICE (capability 23) in its effective set. */
function mayRaisePriority(): boolean {
  const caps = linux ? /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8')) : null;
  return caps !== null && (BigInt(`0x${caps[1]}`) & (1n << 23n)) !== 0n;
}

/** Nice value of every thread of this process, by thread id. */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    const nice = threadNice(tid);
    if (nice !== undefined) out.set(tid, nice);
  }
  return out;
}

test('a started thread is lowered to nice 10 only where it can return, and returns', { skip }, async () => {
  const normal = threadNice(process.pid)!;
  const before = threadNices();
  const started = startAtLoweredPriority(() => new Worker('setInterval(() => {}, 1000)', { eval: true }));
  try {
    const fresh = [...threadNices()].filter(([tid]) => !before.has(tid));
    assert.ok(fresh.length > 0, 'the worker thread exists as soon as it is constructed');
    const lowered = mayRaisePriority() && normal < 10;
    for (const [tid, nice] of fresh)
      assert.equal(
        nice,
        lowered ? 10 : normal,
        `thread ${tid}: ${lowered ? 'with CAP_SYS_NICE it starts at nice 10' : 'without CAP_SYS_NICE nothing changes'}`,
      );
    started.restore();
    for (const [tid] of fresh) assert.equal(threadNice(tid), normal, `thread ${tid} back to normal`);
  } finally {
    await started.value.terminate();
  }
});

for (const intraOpThreads of [1, 2]) {
  test(
    `a model worker (${intraOpThreads} intra-op thread${intraOpThreads > 1 ? 's' : ''}) stays lowered until serving; then every thread of the process runs at normal priority`,
    { skip },
    async () => {
      const before = threadNices();
      const normal = before.get(process.pid)!;
      const runtime = await WorkerRuntime.load({
        runtime: 'onnx',
        modelPath: join(ROOT, 'models', 'digits', '1', 'model.onnx'),
        intraOpThreads,
        interOpThreads: 1,
        graphOptimizationLevel: 'all',
        allowSpinning: false,
      });
      try {
        const loaded = threadNices();
        assert.ok(loaded.size > before.size, 'the worker added threads');
        const fresh = [...loaded].filter(([tid]) => !before.has(tid));
        if (mayRaisePriority() && normal < 10)
          assert.ok(
            fresh.every(([, nice]) => nice === 10),
            `loaded, not yet serving: new threads at nice 10 (${JSON.stringify(fresh)})`,
          );
        runtime.serving();
        for (const [tid, nice] of threadNices())
          assert.equal(nice, normal, `thread ${tid} is at nice ${nice} once serving, the process at ${normal}`);
      } finally {
        await runtime.close();
      }
    },
  );
}

test(
  'a model worker loaded with lowerPriority false (the loads at start) runs at normal priority throughout',
  { skip },
  async () => {
    const before = threadNices();
    const normal = before.get(process.pid)!;
    const runtime = await WorkerRuntime.load(
      {
        runtime: 'onnx',
        modelPath: join(ROOT, 'models', 'digits', '1', 'model.onnx'),
        intraOpThreads: 1,
        interOpThreads: 1,
        graphOptimizationLevel: 'all',
        allowSpinning: false,
      },
      { lowerPriority: false },
    );
    try {
      const fresh = [...threadNices()].filter(([tid]) => !before.has(tid));
      assert.ok(fresh.length > 0, 'the worker added threads');
      for (const [tid, nice] of fresh)
        assert.equal(nice, normal, `loaded, not yet serving: thread ${tid} at nice ${nice}`);
    } finally {
      await runtime.close();
    }
  },
);
