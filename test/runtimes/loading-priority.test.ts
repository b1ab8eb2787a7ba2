/**
 * A loading worker lowers its thread's priority only where it can raise it again, and a loaded model's worker
 * serves at normal priority: no thread of the process is left lowered after a load.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { WorkerRuntime } from '../../src/runtimes/worker/worker-runtime.js';
import { ROOT } from '../helpers/server.js';

const linux = process.platform === 'linux';
/** A thread may raise its priority again only with CAP_SYS_NICE (capability 23) in its effective set. */
function mayRaisePriority(): boolean {
  const caps = linux ? /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8')) : null;
  return caps !== null && (BigInt(`0x${caps[1]}`) & (1n << 23n)) !== 0n;
}

/** Nice value of every thread of this process, by thread id. */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      // Fields after the command name (which may hold spaces) start at state; nice is field 19, 17th after it.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended while listing.
    }
  }
  return out;
}

const PROBE = `
const { parentPort } = require('node:worker_threads');
const { readlinkSync } = require('node:fs');
const { getPriority } = require('node:os');
import(${JSON.stringify(new URL('../../src/runtimes/worker/loading-priority.js', import.meta.url).href)}).then(({ lowerPriorityWhileLoading }) => {
  const tid = Number(/task\\/(\\d+)$/.exec(readlinkSync('/proc/thread-self'))[1]);
  const before = getPriority(tid);
  const restore = lowerPriorityWhileLoading();
  const during = getPriority(tid);
  restore();
  parentPort.postMessage({ before, during, after: getPriority(tid) });
});`;

test('a loading thread is lowered to nice 10 only where it can return, and returns', { skip: !linux && 'thread priorities are read from /proc' }, async () => {
  const seen = await new Promise<{ before: number; during: number; after: number }>((resolve, reject) => {
    const worker = new Worker(PROBE, { eval: true });
    worker.once('message', (m) => void worker.terminate().then(() => resolve(m)));
    worker.once('error', reject);
  });
  const lowered = mayRaisePriority() && seen.before < 10;
  assert.equal(seen.during, lowered ? 10 : seen.before, lowered ? 'with CAP_SYS_NICE the thread loads at nice 10' : 'without CAP_SYS_NICE nothing changes');
  assert.equal(seen.after, seen.before, 'back to normal priority');
});

for (const intraOpThreads of [1, 2]) {
  test(`a model worker (${intraOpThreads} intra-op thread${intraOpThreads > 1 ? 's' : ''}) stays lowered through warm-up; once serving, every thread of the process runs at normal priority`, { skip: !linux && 'thread priorities are read from /proc' }, async () => {
    const before = threadNices();
    const normal = before.get(process.pid)!;
    const runtime = await WorkerRuntime.load({
      runtime: 'onnx', modelPath: join(ROOT, 'models', 'digits', '1', 'model.onnx'),
      intraOpThreads, interOpThreads: 1, graphOptimizationLevel: 'all', allowSpinning: false,
    });
    try {
      const loaded = threadNices();
      assert.ok(loaded.size > before.size, 'the worker added threads');
      const lowered = [...loaded].filter(([tid, nice]) => !before.has(tid) && nice !== normal);
      if (mayRaisePriority() && normal < 10) assert.ok(lowered.length > 0 && lowered.every(([, nice]) => nice === 10), `loaded, not yet serving: new threads at nice 10 (${JSON.stringify(lowered)})`);
      await runtime.serving();
      for (const [tid, nice] of threadNices()) assert.equal(nice, normal, `thread ${tid} is at nice ${nice} once serving, the process at ${normal}`);
    } finally {
      await runtime.close();
    }
  });
}
