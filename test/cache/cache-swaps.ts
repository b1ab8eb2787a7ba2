/**
 * No stale answer from the response cache while versions change under load: client loops send a small set of
 * inputs (so most answers are hits) while the server swaps to a new version, rolls back to the one before (both by
 * explicit loads), and flips a traffic split between two versions as often. Versions alternate
 * between two different networks; every answer's outputs must be those of the network of the version it names.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../../src/index.js';
import { startTestServer } from '../helpers/server.js';

const NETWORKS = ['models/digits/1/model.onnx', 'models/mlp_heavy/1/model.onnx']; // same signature, other weights
const network = (version: number) => NETWORKS[version % 2];
const INPUTS = Array.from({ length: 8 }, (_, i) => Array.from({ length: 64 }, (_, j) => ((i * 7 + j * 3) % 17) / 4));
const CACHE = 'cache: { bypass: never, ttl_ms: 600000 }\n';

function putVersion(dir: string, model: string, version: number): void {
  mkdirSync(join(dir, model, String(version)), { recursive: true });
  cpSync(network(version), join(dir, model, String(version), 'model.onnx'));
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface Answer {
  model_version: string;
  outputs: Array<{ name: string; data: number[] }>;
  parameters?: { cache?: string };
}

async function logits(server: RunningServer, model: string, input: number[], version?: number): Promise<Answer> {
  const path = version === undefined ? `/v2/models/${model}/infer` : `/v2/models/${model}/versions/${version}/infer`;
  const body = {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: input }],
    outputs: [{ name: 'logits' }],
  };
  const r = await post(`${server.url}${path}`, body);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json as unknown as Answer;
}

const close = (a: readonly number[], b: readonly number[]) => a.every((x, i) => Math.abs(x - b[i]) <= 1e-4);

/** Runs `operations` loads (two swaps forward, one rollback, ...) and as many traffic flips under client loops. */
export async function staleAnswersUnderSwaps(operations: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-cache-swaps-'));
  for (const v of [1, 2]) {
    putVersion(dir, 'swapped', v);
    putVersion(dir, 'split', v);
    putVersion(dir, 'reference', v);
  }
  rmSync(join(dir, 'swapped', '2'), { recursive: true });
  writeFileSync(
    join(dir, 'swapped', 'config.yaml'),
    `version_policy: { latest: 1 }\nwarmup: { enabled: false }\n${CACHE}`,
  );
  writeFileSync(join(dir, 'split', 'config.yaml'), `version_policy: all\n${CACHE}`);
  writeFileSync(join(dir, 'reference', 'config.yaml'), 'version_policy: all\n');
  const server = await startTestServer({
    repository: dir,
    config: { model_control_mode: 'explicit', load_models: ['*'] },
  });
  let stop = false;
  const counts = { answers: 0, hits: 0, stale: [] as string[] };
  try {
    // What each network answers, from a model without a cache.
    const expected = await Promise.all(
      [0, 1].map((parity) =>
        Promise.all(
          INPUTS.map(async (input) => (await logits(server, 'reference', input, 2 - parity)).outputs[0].data),
        ),
      ),
    );
    INPUTS.forEach((_, i) => assert.ok(!close(expected[0][i], expected[1][i]), `input ${i} tells the networks apart`));
    const client = async (model: string, seed: number) => {
      for (let n = seed; !stop; n++) {
        const i = n % INPUTS.length;
        const answer = await logits(server, model, INPUTS[i]);
        counts.answers++;
        if (answer.parameters?.cache === 'hit') counts.hits++;
        const version = Number(answer.model_version);
        if (!close(answer.outputs[0].data, expected[version % 2][i]))
          counts.stale.push(`${model} version ${version}, input ${i}, ${answer.parameters?.cache ?? 'no cache'}`);
      }
    };
    const clients = [0, 1, 2].flatMap((seed) => [client('swapped', seed * 3), client('split', seed * 5)]);

    // Swap forward twice, roll back once: 100 loads in all, each changing the version that answers.
    let top = 1;
    for (let op = 0; op < operations; op++) {
      if (op % 3 === 2) {
        rmSync(join(dir, 'swapped', String(top)), { recursive: true });
        top--;
      } else putVersion(dir, 'swapped', ++top);
      const loaded = await post(`${server.url}/v2/repository/models/swapped/load`, {});
      assert.equal(loaded.status, 200, JSON.stringify(loaded.json));
      const flip = op % 2 === 0 ? { 1: 100, 2: 0 } : op % 4 === 1 ? { 1: 0, 2: 100 } : { 1: 50, 2: 50 };
      const routed = await post(`${server.url}/v1/models/split/traffic`, { weights: flip });
      assert.equal(routed.status, 200, JSON.stringify(routed.json));
    }
    stop = true;
    await Promise.all(clients);
    assert.deepEqual(counts.stale, [], `${counts.stale.length} stale answers of ${counts.answers}`);
    assert.ok(counts.hits > 0, 'some answers came from the cache');
  } finally {
    stop = true;
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
