import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { waitFor as waitUntil } from '../helpers/wait-for.js';
import { startTestServer } from '../helpers/server.js';

const DIGITS = 'models/digits/1/model.onnx';
const HEAVY = 'models/mlp_heavy/1/model.onnx'; // same signature as digits, different weights

function repoWith(models: Record<string, Record<number, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-control-'));
  for (const [name, versions] of Object.entries(models)) {
    for (const [v, file] of Object.entries(versions)) putVersion(dir, name, Number(v), file);
  }
  return dir;
}

function putVersion(dir: string, name: string, version: number, file: string): void {
  mkdirSync(join(dir, name, String(version)), { recursive: true });
  cpSync(file, join(dir, name, String(version), 'model.onnx'));
}

const digitsBody = JSON.stringify({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(3) }],
});

async function post(server: RunningServer, path: string, body?: string) {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

interface IndexRow {
  name: string;
  version?: string;
  state: string;
  reason?: string;
}

async function index(server: RunningServer): Promise<IndexRow[]> {
  return (await post(server, '/v2/repository/index')).json as unknown as IndexRow[];
}

describe('explicit model control', () => {
  test('load, reload with a config override, unload; index shows each state', async () => {
    const dir = repoWith({ digits: { 1: DIGITS }, pair: { 1: 'test/fixtures/models/two_in_two_out.onnx' } });
    const server = await startTestServer({
      repository: dir,
      config: { model_control_mode: 'explicit', load_models: ['digits'] },
    });
    try {
      assert.deepEqual(await index(server), [
        { name: 'digits', version: '1', state: 'READY' },
        { name: 'pair', state: 'UNAVAILABLE', reason: 'not loaded' },
      ]);
      const pairBody = JSON.stringify({
        inputs: ['a', 'b'].map((name) => ({ name, datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] })),
      });
      assert.equal((await post(server, '/v2/models/pair/infer', pairBody)).status, 404);

      assert.equal((await post(server, '/v2/repository/models/pair/load')).status, 200);
      const sum = await post(server, '/v2/models/pair/infer', pairBody);
      assert.equal(sum.status, 200);

      const override = JSON.stringify({
        max_batch_size: 2,
        input: [
          { name: 'a', data_type: 'TYPE_FP32', dims: [3] },
          { name: 'b', data_type: 'TYPE_FP32', dims: [3] },
        ],
      });
      assert.equal(
        (await post(server, '/v2/repository/models/pair/load', JSON.stringify({ parameters: { config: override } })))
          .status,
        200,
      );
      const config = (await (await fetch(`${server.url}/v2/models/pair/config`)).json()) as { max_batch_size: number };
      assert.equal(config.max_batch_size, 2);

      assert.equal((await post(server, '/v2/repository/models/pair/unload')).status, 200);
      const after = await post(server, '/v2/models/pair/infer', pairBody);
      assert.equal(after.status, 503);
      assert.match(String(after.json.error), /unloaded/);
      assert.deepEqual(
        (await index(server)).find((r) => r.name === 'pair'),
        { name: 'pair', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' },
      );

      const missing = await post(server, '/v2/repository/models/nope/load');
      assert.equal(missing.status, 400);
      assert.match(String(missing.json.error), /model 'nope' is not in the repository/);
      const traversal = await post(server, '/v2/repository/models/..%2Fetc/load');
      assert.equal(traversal.status, 400);
      assert.match(String(traversal.json.error), /invalid model name/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('in the default mode, load and unload are refused with the flag to use', async () => {
    const dir = repoWith({ digits: { 1: DIGITS } });
    const server = await startTestServer({ repository: dir });
    try {
      const res = await post(server, '/v2/repository/models/digits/unload');
      assert.equal(res.status, 400);
      assert.match(
        String(res.json.error),
        /model-control mode 'none'; start inferd with --model-control-mode explicit/,
      );
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('poll model control', () => {
  test('versions added, changed and removed while a client loops: no failed request', async () => {
    const dir = repoWith({ digits: { 1: DIGITS } });
    const server = await startTestServer({
      repository: dir,
      config: { model_control_mode: 'poll', repository_poll_secs: 0.1 },
    });
    const failures: string[] = [];
    const versionsSeen = new Set<string>();
    let requests = 0;
    let running = true;
    const client = (async () => {
      while (running) {
        const res = await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body: digitsBody });
        const json = (await res.json()) as { model_version?: string; error?: string };
        requests++;
        if (res.status !== 200) failures.push(`${res.status} ${json.error}`);
        else versionsSeen.add(json.model_version!);
      }
    })();
    // Counted, not timed: the client answers `n` more requests (against the state just reached).
    const moreRequests = (n: number) => {
      const target = requests + n;
      return waitUntil(() => requests >= target || !running, `${n} more requests from the client`);
    };
    const waitFor = async (what: string, check: (rows: IndexRow[]) => boolean) => {
      let rows: IndexRow[] = [];
      await waitUntil(
        async () => check((rows = await index(server))),
        `${what} (index: ${JSON.stringify(rows)})`,
        undefined,
        50,
      );
      await moreRequests(20);
    };
    const ready = (rows: IndexRow[], v: string) => rows.some((r) => r.version === v && r.state === 'READY');
    try {
      await moreRequests(20);
      putVersion(dir, 'digits', 2, DIGITS); // added: latest policy moves traffic to 2, then unloads 1
      await waitFor('version 2', (rows) => ready(rows, '2') && !ready(rows, '1'));
      const before = (await (await fetch(`${server.url}/v2/models/digits/stats`)).json()) as {
        model_stats: Array<{ version: string }>;
      };
      assert.deepEqual(
        before.model_stats.map((s) => s.version),
        ['2'],
      );

      cpSync(HEAVY, join(dir, 'digits', '2', 'model.onnx')); // changed in place: reloaded
      await waitFor('the reload of version 2', (rows) => ready(rows, '2') && rows.length === 2);

      rmSync(join(dir, 'digits', '2'), { recursive: true }); // removed: back to version 1
      await waitFor('version 1 again', (rows) => ready(rows, '1') && !ready(rows, '2'));
    } finally {
      running = false;
      await client;
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed`);
    assert.ok(versionsSeen.has('1') && versionsSeen.has('2'), `answers came from versions ${[...versionsSeen]}`);
  });

  test('a changed label file in the model folder reloads the model with the new labels', async () => {
    const dir = repoWith({ digits: { 1: DIGITS } });
    const labels = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}${i}`).join('\n');
    writeFileSync(
      join(dir, 'digits', 'config.yaml'),
      'outputs:\n  - { name: logits, datatype: FP32, dims: [10], label_filename: labels.txt }\n',
    );
    writeFileSync(join(dir, 'digits', 'labels.txt'), labels('digit-'));
    const server = await startTestServer({
      repository: dir,
      config: { model_control_mode: 'poll', repository_poll_secs: 0.1 },
    });
    const topLabel = async () => {
      const body = JSON.parse(digitsBody) as Record<string, unknown>;
      const res = await post(
        server,
        '/v2/models/digits/infer',
        JSON.stringify({ ...body, outputs: [{ name: 'logits', parameters: { classification: 1 } }] }),
      );
      assert.equal(res.status, 200, JSON.stringify(res.json));
      const [entry] = (res.json.outputs as Array<{ data: string[] }>)[0].data;
      return entry.split(':')[2];
    };
    try {
      assert.match(await topLabel(), /^digit-\d$/);
      writeFileSync(join(dir, 'digits', 'labels.txt'), labels('class '));
      let label = await topLabel();
      await waitUntil(
        async () => (label = await topLabel()).startsWith('class ') || !/^digit-\d$/.test(label),
        'the new labels to be served after the next poll',
        undefined,
        100,
      );
      assert.match(label, /^class \d$/, 'the new labels are served after the next poll');
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
