/**
 * Warm hot-swap: a new version is loaded and warmed before it takes traffic, the old one drains, then unloads;
 * no request fails and none is answered by a cold model. Readiness waits for the first warm-up.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { FileModelRepository } from '../../src/repository/model-repository.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { call, digitsBody, infer, MODELS, putVersion, startLoad, tempRepo, waitFor } from './lifecycle-helpers.js';
import { startTestServer } from '../helpers/server.js';

interface VersionRow {
  version: number;
  state: string;
  load_ms: number | null;
  warmup_ms: number | null;
  warmup_requests: number | null;
  warmup_source: string | null;
  cold_runs: number | null;
}

async function versions(url: string, model: string): Promise<VersionRow[]> {
  return (await call<{ versions: VersionRow[] }>(`${url}/v1/models/${model}/traffic`)).body.versions;
}

describe('warm hot-swap', () => {
  test('swapping versions under continuous load: zero failed requests, no answer from a cold model', async () => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
    const server = await startTestServer({
      repository: repo.dir,
      config: { model_control_mode: 'poll', repository_poll_secs: 0.1 },
    });
    const load = startLoad(`${server.url}/v2/models/digits/infer`, { concurrency: 4, body: digitsBody });
    try {
      // Each step waits for answers (counted), not for a time, so every version has answered before the next step.
      await load.answered(20);
      putVersion(repo.dir, 'digits', 2, MODELS.heavy); // latest policy: 2 replaces 1
      const swapped = await waitFor('version 2 to replace version 1', async () => {
        const rows = await versions(server.url, 'digits');
        const ready = rows.filter((r) => r.state === 'READY');
        return ready.length === 1 && ready[0].version === 2 ? ready[0] : undefined;
      });
      await load.answered(load.count() + 20);
      putVersion(repo.dir, 'digits', 2, MODELS.digits); // changed in place: reloaded, warmed, swapped
      const reloaded = async () =>
        (await versions(server.url, 'digits')).find((r) => r.version === 2 && r.state === 'READY');
      await waitFor('version 2 to be reloaded', async () =>
        (await reloaded())?.load_ms !== swapped.load_ms ? true : undefined,
      );
      // Requests kept flowing through the reload: more answers come (and none failed, asserted below).
      await load.answered(load.count() + 20);
    } finally {
      const report = await load.stop();
      const final = await versions(server.url, 'digits');
      const metrics = await (await fetch(server.metricsUrl!)).text();
      await server.close();
      repo.cleanup();
      assert.deepEqual(
        report.failures.slice(0, 3),
        [],
        `${report.failures.length} of ${report.answers.length} requests failed`,
      );
      assert.ok(
        report.versions['1'] > 0 && report.versions['2'] > 0,
        `answers came from ${JSON.stringify(report.versions)}`,
      );
      const v2 = final.find((r) => r.version === 2)!;
      assert.equal(v2.cold_runs, 0, 'no request reached an instance before it had been warmed');
      assert.equal(v2.warmup_source, 'generated');
      assert.ok(v2.warmup_requests! >= 2 && v2.warmup_ms! > 0 && v2.load_ms! > 0, JSON.stringify(v2));
      assert.match(metrics, /inferd_model_warmup_seconds\{model="digits",version="2"\} \d/);
      assert.match(metrics, /inferd_model_load_seconds\{model="digits",version="2"\} \d/);
      assert.match(metrics, /inferd_model_cold_runs_total\{model="digits",version="2"\} 0/);
    }
  });

  test('without warm-up the first request on each instance is a cold answer, and is counted as one', async () => {
    const repo = tempRepo({
      digits: { versions: { 1: MODELS.digits }, config: 'warmup: false\ninstance_group: { count: 2 }\n' },
    });
    const server = await startTestServer({ repository: repo.dir });
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => infer(`${server.url}/v2/models/digits/infer`, digitsBody(i))),
      );
      const [v1] = await versions(server.url, 'digits');
      assert.deepEqual([v1.warmup_source, v1.warmup_requests], ['disabled', 0]);
      assert.ok(v1.cold_runs! >= 1 && v1.cold_runs! <= 2, `cold runs: ${v1.cold_runs}`);
    } finally {
      await server.close();
      repo.cleanup();
    }
  });

  test('warm-up requests come from warmup.json when the version has one; a failing one keeps the version out', async () => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits }, config: 'warmup: { iterations: 3 }\n' } });
    const request = (data: number[]) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data }] });
    writeFileSync(
      join(repo.dir, 'digits', '1', 'warmup.json'),
      JSON.stringify({ requests: [request(new Array(64).fill(1)), request(new Array(64).fill(2))] }),
    );
    const faulty = putVersion(repo.dir, 'digits', 2, MODELS.faulty);
    writeFileSync(join(faulty, 'warmup.json'), JSON.stringify(request(new Array(64).fill(20))));
    writeFileSync(join(repo.dir, 'digits', 'config.yaml'), 'warmup: { iterations: 3 }\nversion_policy: all\n');
    const server = await startTestServer({ repository: repo.dir });
    try {
      const [v1, v2] = await versions(server.url, 'digits');
      assert.deepEqual([v1.state, v1.warmup_source, v1.warmup_requests], ['READY', 'file', 6]);
      assert.equal(v2.state, 'UNAVAILABLE');
      const index = await call<Array<{ version?: string; reason?: string }>>(`${server.url}/v2/repository/index`, {
        method: 'POST',
      });
      assert.match(
        index.body.find((e) => e.version === '2')?.reason ?? '',
        /model 'digits' version 2: warm-up request 1 of 1 from digits\/2\/warmup\.json failed: .*indices element out of data bounds.*; fix warmup\.json or the model/,
      );
      assert.equal((await infer(`${server.url}/v2/models/digits/infer`, digitsBody(0))).version, '1');
    } finally {
      await server.close();
      repo.cleanup();
    }
  });
});

describe('readiness and warm-up', () => {
  test('the server is not ready until the first warm-up finishes; the version is LOADING while it warms', async () => {
    const repo = tempRepo({ slow: { versions: { 1: MODELS.slow }, config: 'warmup: { iterations: 6 }\n' } });
    const registry = new ModelRegistry(new FileModelRepository(repo.dir), silentLogger());
    try {
      const loading = registry.loadInitial();
      const states: string[] = [];
      let readyWhileWarming = false;
      while (!(await Promise.race([loading.then(() => true), sleep(20).then(() => false)]))) {
        readyWhileWarming ||= registry.isReady(true) || registry.isReady(false);
        // The registry knows the model only once loading has read the repository: until then there is no state.
        const v = registry.loadedIndex().some((e) => e.name === 'slow')
          ? registry.model('slow').versions.get(1)
          : undefined;
        if (v && states.at(-1) !== v.state) states.push(v.state);
      }
      assert.equal(readyWhileWarming, false, 'readiness stayed false until warm-up finished');
      assert.deepEqual(states, ['LOADING']);
      assert.equal(registry.isReady(true), true);
      assert.equal(registry.model('slow').versions.get(1)?.state, 'READY');
      const v = registry.resolveReady('slow', '1');
      assert.ok(v.warmup.ms > 0 && v.warmup.requests === 6 && v.readyAt > 0, JSON.stringify(v.warmup));
    } finally {
      await registry.stop();
      repo.cleanup();
    }
  });

  test('loading another model after start never flips server readiness; that model is ready once warmed', async () => {
    const repo = tempRepo({
      digits: { versions: { 1: MODELS.digits } },
      slow: { versions: { 1: MODELS.slow }, config: 'warmup: { iterations: 6 }\n' },
    });
    const server = await startTestServer({
      repository: repo.dir,
      config: { model_control_mode: 'explicit', load_models: ['digits'], strict_readiness: true },
    });
    try {
      const loaded = call(`${server.url}/v2/repository/models/slow/load`, { method: 'POST' });
      const seen = { server: new Set<number>(), model: new Set<number>() };
      let done = false;
      void loaded.then(() => (done = true));
      while (!done) {
        seen.server.add((await fetch(`${server.url}/v2/health/ready`)).status);
        seen.model.add((await fetch(`${server.url}/v2/models/slow/ready`)).status);
        await sleep(10);
      }
      assert.equal((await loaded).status, 200);
      assert.deepEqual([...seen.server], [200]);
      assert.ok(seen.model.has(400), 'the model was not ready while it warmed');
      assert.equal((await fetch(`${server.url}/v2/models/slow/ready`)).status, 200);
    } finally {
      await server.close();
      repo.cleanup();
    }
  });
});
