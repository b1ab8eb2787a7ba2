/**
 * Isolation while loading: loading and unloading one model 50 times while another serves fails no request. The
 * other model's p99 (against its quiet value) and the RSS before the first load and after the last unload are
 * reported as diagnostics: latency and memory targets are checked by benchmarks, not by timed tests.
 *
 * The server runs in its own process (isolation-server.ts) with the glibc settings the README recommends
 * (MALLOC_MMAP_THRESHOLD_=1048576 MALLOC_ARENA_MAX=2): by default glibc raises its mmap threshold as large
 * blocks are freed, then serves model-sized blocks from per-thread arenas (one per thread, up to 8 per core)
 * and keeps them resident after the model unloads: reused by the next load, never returned. The cycles run in
 * ten rounds of five, each followed by a quiet window with as many requests as the round answered, so background
 * noise on the machine falls on both sides of the latency comparison alike.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../helpers/server.js';
import { digitsBody, infer, quantile, type Answer } from './lifecycle-helpers.js';

const SERVER = join(ROOT, 'dist', 'test', 'lifecycle', 'isolation-server.js');
/** The allocator settings the README recommends for inferd on glibc. */
const GLIBC_ENV = { MALLOC_MMAP_THRESHOLD_: '1048576', MALLOC_ARENA_MAX: '2' };

function reply<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: Record<string, unknown>) => {
      if (key in msg) {
        child.off('message', onMessage);
        resolve(msg[key] as T);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`the server process exited with ${code}`)));
  });
}

test('loading and unloading a model 50 times while another serves: no failed request (p99 and RSS are reported)', async (t) => {
  const child = fork(SERVER, {
    execArgv: ['--expose-gc'],
    env: { ...process.env, INFERD_ISOLATION_SERVER: '1', ...GLIBC_ENV },
  });
  const answers: Record<'warm' | 'quiet' | 'busy', Answer[]> = { warm: [], quiet: [], busy: [] };
  let phase = 'warm' as keyof typeof answers | 'paused';
  let running = true;
  let client: Promise<void> = Promise.resolve();
  try {
    const url = await reply<string>(child, 'url');
    client = (async () => {
      for (let i = 0; running; i++) {
        if (phase === 'paused') await sleep(10);
        else answers[phase].push(await infer(`${url}/v2/models/digits/infer`, digitsBody(i)));
      }
    })();
    const settledRss = async () => {
      phase = 'paused';
      await sleep(500);
      child.send('rss');
      return reply<number>(child, 'rss');
    };
    const answeredIn = async (p: keyof typeof answers, n: number) => {
      const target = answers[p].length + n;
      while (answers[p].length < target) await sleep(10);
    };
    await answeredIn('warm', 200);
    const before = await settledRss();
    const control: Array<number | string> = [];
    for (let round = 0; round < 10; round++) {
      phase = 'busy';
      const busyBefore = answers.busy.length;
      for (let i = 0; i < 5; i++) {
        for (const op of ['load', 'unload']) {
          const res = await fetch(`${url}/v2/repository/models/mlp_heavy/${op}`, { method: 'POST' });
          control.push(res.status === 200 ? 200 : `${op}: ${res.status} ${await res.text()}`);
        }
      }
      phase = 'quiet';
      // As many quiet answers as the round had busy ones (at least 50): counted, not timed.
      await answeredIn('quiet', Math.max(50, answers.busy.length - busyBefore));
    }
    const after = await settledRss();
    const quiet = quantile(
      answers.quiet.map((a) => a.latencyMs),
      0.99,
    );
    const busy = quantile(
      answers.busy.map((a) => a.latencyMs),
      0.99,
    );
    const failures = [...answers.quiet, ...answers.busy].filter((a) => a.status !== 200);
    assert.deepEqual(
      control.filter((s) => s !== 200),
      [],
      'every load and unload succeeded',
    );
    assert.deepEqual(failures.slice(0, 3), [], `${failures.length} requests to the serving model failed`);
    assert.ok(
      answers.busy.length > 0,
      `the serving model kept answering (${answers.busy.length} during the cycles, ${answers.quiet.length} quiet)`,
    );
    // Latency and memory are targets for benchmarks, not assertions of a timed test on a shared machine: report them.
    t.diagnostic(
      `p99 during the cycles ${busy.toFixed(2)} ms vs quiet ${quiet.toFixed(2)} ms (${(busy / quiet).toFixed(2)}×)`,
    );
    t.diagnostic(`RSS before the first load ${before.toFixed(0)} MiB, after the last unload ${after.toFixed(0)} MiB`);
  } finally {
    running = false;
    await client;
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});
