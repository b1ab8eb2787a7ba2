/**
 * Isolation while loading: loading and unloading one model 50 times while another serves leaves the other's
 * p99 within 2× its quiet value, fails no request, and gives the memory back (RSS after the last unload within
 * 10% of RSS before the first load).
 *
 * The server runs as `inferd serve` in its own process, as deployed, so the test's client does not share its
 * heap, with the glibc settings the README recommends: without them glibc keeps memory freed by unloaded
 * models in per-thread arenas (resident, reused, but not returned to the system).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH, MODELS_DIR } from '../helpers/server.js';
import { digitsBody, infer, quantile, type Answer } from './lifecycle-helpers.js';

const GLIBC_ENV = { MALLOC_MMAP_THRESHOLD_: '1048576' };

/** Starts `inferd serve` on a free port; resolves with its URL once it is ready. */
async function serve(): Promise<{ child: ChildProcess; url: string }> {
  const args = [CLI_PATH, 'serve', '--model-repository', MODELS_DIR, '--http-port', '0', '--grpc-port=-1', '--metrics-port=-1', '--model-control-mode', 'explicit', '--load-model', 'digits', '--log-level', 'info'];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...GLIBC_ENV }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`inferd exited with ${code} before listening: ${out.slice(-2000)}`)));
  });
  child.stdout!.resume();
  return { child, url };
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

test('loading and unloading a model 50 times while another serves: p99 within 2x, no failure, RSS comes back', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const { child, url } = await serve();
  const answers: Record<string, Answer[]> = { warm: [], quiet: [], busy: [], settling: [] };
  let phase = 'warm';
  let running = true;
  const client = (async () => {
    for (let i = 0; running; i++) {
      if (phase === 'settling') await sleep(20);
      else answers[phase].push(await infer(`${url}/v2/models/digits/infer`, digitsBody(i)));
    }
  })();
  /** RSS with the client paused, once it has stopped moving. */
  const settledRss = async () => {
    const previous = phase;
    phase = 'settling';
    await sleep(2000);
    const rss = rssMb(child.pid!);
    phase = previous;
    return rss;
  };
  const control: number[] = [];
  try {
    await sleep(1000);
    phase = 'quiet';
    await sleep(4000);
    const before = await settledRss();
    phase = 'busy';
    for (let i = 0; i < 50; i++) {
      for (const op of ['load', 'unload']) control.push((await fetch(`${url}/v2/repository/models/mlp_heavy/${op}`, { method: 'POST' })).status);
    }
    const after = await settledRss();
    running = false;
    await client;
    const quiet = quantile(answers.quiet.map((a) => a.latencyMs), 0.99);
    const busy = quantile(answers.busy.map((a) => a.latencyMs), 0.99);
    const failures = [...answers.quiet, ...answers.busy].filter((a) => a.status !== 200);
    assert.deepEqual(failures.slice(0, 3), [], `${failures.length} requests to the serving model failed`);
    assert.deepEqual(control.filter((s) => s !== 200), [], 'every load and unload succeeded');
    assert.ok(answers.busy.length > 500, `the client kept being answered during the cycles (${answers.busy.length})`);
    assert.ok(busy <= 2 * quiet, `p99 during the cycles ${busy.toFixed(2)} ms > 2 × quiet p99 ${quiet.toFixed(2)} ms`);
    assert.ok(Math.abs(after - before) <= 0.1 * before, `RSS before the first load ${before.toFixed(0)} MB, after the last unload ${after.toFixed(0)} MB`);
  } finally {
    running = false;
    await client;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});
