/**
 * Signed integrity covers everything that changes a model's answers, not only its version folders: the config
 * (config.yaml or config.pbtxt, and the version policy in it), label files, any file beside the config, the
 * features config a feature-backed model reads, and warmup.json / validation files in the version folders. A file
 * changed or added after signing is refused with a reason naming it (relative to the repository), while what was
 * serving keeps answering exactly as before; a change signed again is taken.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { readJsonFixture, ROOT, startTestServer } from '../helpers/server.js';
import { call, digitsBody, MODELS, tempRepo } from './lifecycle-helpers.js';
import { cliSign, keyFiles, type KeyFiles } from './signing-helpers.js';

const cancer = readJsonFixture<{ inputs: number[][]; probabilities: number[][] }>(
  'test/fixtures/reference/breast_cancer.json',
);
/** The reference row least sure of its class, and a threshold that flips its label. */
const NEAR = cancer.probabilities.reduce(
  (best, p, i) => (Math.abs(p[1] - 0.5) < Math.abs(cancer.probabilities[best][1] - 0.5) ? i : best),
  0,
);
const SCORE = cancer.probabilities[NEAR][1];
const FLIPPING = SCORE >= 0.5 ? SCORE + 0.005 : SCORE - 0.005;
const CANCER_ONNX = join(ROOT, 'models/breast_cancer/1/model.onnx');

interface IndexRow {
  name: string;
  version?: string;
  state: string;
  reason?: string;
}
interface EventRow {
  type: string;
  message: string;
  evidence?: { still_serving?: number[] };
}

async function start(dir: string, key: KeyFiles, mode: 'poll' | 'explicit' = 'explicit'): Promise<RunningServer> {
  return startTestServer({
    repository: dir,
    config: {
      model_control_mode: mode,
      load_models: ['*'],
      repository_poll_secs: 3600, // the tests scan on their own (pollRepository): each scan is one event, not a time
      integrity: 'signed',
      trusted_keys: [key.publicPath],
    },
  });
}

/** The answer to the reference row nearest the boundary: version, outputs by name. */
async function cancerAnswer(server: RunningServer): Promise<{ version: string; outputs: Record<string, number[]> }> {
  const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: cancer.inputs[NEAR] }] };
  const res = await call<{ model_version: string; outputs: Array<{ name: string; data: number[] }> }>(
    `${server.url}/v2/models/cancer/infer`,
    { method: 'POST', body },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return {
    version: res.body.model_version,
    outputs: Object.fromEntries(res.body.outputs.map((o) => [o.name, o.data])),
  };
}

/** digits' top class with its label from the label file, and the version that answered. */
async function digitsAnswer(server: RunningServer): Promise<string> {
  const body = {
    ...(JSON.parse(digitsBody(3)) as object),
    outputs: [{ name: 'logits', parameters: { classification: 1 } }],
  };
  const res = await call<{ model_version: string; outputs: Array<{ data: string[] }> }>(
    `${server.url}/v2/models/digits/infer`,
    { method: 'POST', body },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return `v${res.body.model_version} ${res.body.outputs[0].data[0]}`;
}

const index = async (server: RunningServer) =>
  (await call<IndexRow[]>(`${server.url}/v2/repository/index`, { method: 'POST' })).body;
const events = async (server: RunningServer, model: string) =>
  (await call<{ events: EventRow[] }>(`${server.url}/v1/models/${model}/events`)).body.events;

async function eventCount(server: RunningServer, model: string, type: string): Promise<number> {
  const text = await (await fetch(server.metricsUrl!)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`inferd_rollout_events_total{model="${model}",event="${type}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('signed integrity covers the model folder (poll mode)', () => {
  test('a config.yaml dropped beside signed versions is refused: the answer stays, the reason names the file; signed again, it is taken', async () => {
    const repo = tempRepo({ cancer: { versions: { 1: CANCER_ONNX } } });
    const key = keyFiles(repo.dir, 'release');
    await cliSign(key, [join(repo.dir, 'cancer')]);
    const server = await start(repo.dir, key, 'poll');
    try {
      const before = await cancerAnswer(server);
      assert.deepEqual(Object.keys(before.outputs), ['probabilities']);
      writeFileSync(join(repo.dir, 'cancer', 'config.yaml'), `parameters: { threshold: ${FLIPPING} }\n`);
      await server.inferd.pollRepository();
      assert.deepEqual(await cancerAnswer(server), before, 'the unsigned threshold changed the answer');

      const refused = (await events(server, 'cancer')).filter((e) => e.type === 'model_refused');
      assert.equal(refused.length, 1, JSON.stringify(await events(server, 'cancer')));
      assert.match(
        refused[0].message,
        /^integrity check failed for model 'cancer': cancer\/config\.yaml appeared after signing \(the manifest says it was absent\); remove it or re-sign the model folder/,
      );
      assert.deepEqual(refused[0].evidence?.still_serving, [1]);
      const [row] = (await index(server)).filter((r) => r.name === 'cancer');
      assert.equal(row.state, 'READY');
      assert.match(
        row.reason ?? '',
        /serving the files verified before; a change was refused: .*cancer\/config\.yaml appeared after signing/,
      );
      assert.ok(!(row.reason ?? '').includes(repo.dir), 'no absolute path in the reason');
      assert.equal(
        (await call(`${server.url}/v2/health/ready`)).status,
        200,
        'the model still serves: the server stays ready',
      );

      await server.inferd.pollRepository(); // the same refusal again: not told twice
      assert.equal(await eventCount(server, 'cancer', 'model_refused'), 1);
      assert.deepEqual(await cancerAnswer(server), before);

      await cliSign(key, [join(repo.dir, 'cancer')]); // the change, signed: taken on the next scan
      await server.inferd.pollRepository();
      const after = await cancerAnswer(server);
      assert.deepEqual(
        after.outputs.label,
        [SCORE >= 0.5 ? 0 : 1],
        'the signed threshold flips the label of the row nearest the boundary',
      );
      const [taken] = (await index(server)).filter((r) => r.name === 'cancer');
      assert.deepEqual([taken.state, taken.reason], ['READY', undefined]);
    } finally {
      await server.close();
      repo.cleanup();
    }
  });
});

/** A change to the repository, the model it is made to, and whether the model folder's check or a version's refuses it. */
interface Tamper {
  readonly what: string;
  readonly model: 'digits' | 'tri';
  readonly level: 'model' | 'version';
  apply(dir: string): void;
  readonly reason: RegExp;
}

const LABELS = Array.from({ length: 10 }, (_, i) => `digit-${i}`).join('\n');
const DIGITS_CONFIG =
  'max_batch_size: 64\nversion_policy: { latest: 1 }\noutputs:\n  - { name: logits, datatype: FP32, dims: [10], label_filename: labels.txt }\n';
const WARMUP = JSON.stringify({
  requests: [{ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: Array(64).fill(0) }] }],
});

const TAMPERS: readonly Tamper[] = [
  {
    what: 'a label file changed',
    model: 'digits',
    level: 'model',
    apply: (d) => writeFileSync(join(d, 'digits', 'labels.txt'), LABELS.replaceAll('digit-', 'class ')),
    reason:
      /model 'digits': digits\/labels\.txt has sha256 [0-9a-f]{12}… but digits\/manifest\.json lists [0-9a-f]{12}… \(the file was changed after signing\)/,
  },
  {
    what: 'the version policy changed',
    model: 'digits',
    level: 'model',
    apply: (d) =>
      writeFileSync(join(d, 'digits', 'config.yaml'), DIGITS_CONFIG.replace('{ latest: 1 }', '{ specific: [1] }')),
    reason: /model 'digits': digits\/config\.yaml has sha256/,
  },
  {
    what: 'a config.pbtxt dropped beside config.yaml',
    model: 'digits',
    level: 'model',
    apply: (d) => writeFileSync(join(d, 'digits', 'config.pbtxt'), 'max_batch_size: 8\n'),
    reason: /model 'digits': digits\/config\.pbtxt appeared after signing/,
  },
  {
    what: 'a new file in a subfolder of the model folder',
    model: 'digits',
    level: 'model',
    apply: (d) => {
      mkdirSync(join(d, 'digits', 'extra'));
      writeFileSync(join(d, 'digits', 'extra', 'labels.txt'), LABELS);
    },
    reason: /model 'digits': digits\/extra\/labels\.txt is not in digits\/manifest\.json \(added after signing\)/,
  },
  {
    what: 'the model manifest edited (absent list emptied)',
    model: 'digits',
    level: 'model',
    apply: (d) => {
      const p = join(d, 'digits', 'manifest.json');
      if (existsSync(p)) writeFileSync(p, readFileSync(p, 'utf8').replace(/"absent": \[[^\]]*\]/, '"absent": []'));
    },
    reason: /model 'digits': digits\/manifest\.sig does not verify with any of the 1 trusted key\(s\)/,
  },
  {
    what: 'warmup.json changed',
    model: 'digits',
    level: 'version',
    apply: (d) => writeFileSync(join(d, 'digits', '2', 'warmup.json'), WARMUP.replace('"data":[0', '"data":[16')),
    reason: /version 2: warmup\.json has sha256/,
  },
  {
    what: 'a validation file added',
    model: 'digits',
    level: 'version',
    apply: (d) => {
      mkdirSync(join(d, 'digits', '2', 'validation'));
      writeFileSync(join(d, 'digits', '2', 'validation', 'ref.json'), '{}');
    },
    reason: /version 2: validation\/ref\.json is not in manifest\.json/,
  },
  {
    what: 'config.pbtxt changed',
    model: 'tri',
    level: 'model',
    apply: (d) => writeFileSync(join(d, 'tri', 'config.pbtxt'), 'max_batch_size: 2\n'),
    reason: /model 'tri': tri\/config\.pbtxt has sha256/,
  },
  {
    what: 'a config.yaml linked in beside config.pbtxt',
    model: 'tri',
    level: 'model',
    apply: (d) => symlinkSync(join(d, 'digits', 'config.yaml'), join(d, 'tri', 'config.yaml')),
    reason: /model 'tri': tri\/config\.yaml appeared after signing/,
  },
  {
    what: 'warmup.json linked into a version folder that had none (a symbolic link)',
    model: 'tri',
    level: 'version',
    apply: (d) => symlinkSync(join(d, 'warmup-elsewhere.json'), join(d, 'tri', '1', 'warmup.json')),
    reason: /model 'tri' version 1: warmup\.json is not in manifest\.json/,
  },
];

describe('signed integrity covers the model folder (explicit load)', () => {
  test('each change to what the answers depend on is refused with its reason; the answers stay; undone, the load is taken', async () => {
    const repo = tempRepo({
      digits: { versions: { 1: MODELS.digits, 2: MODELS.digits }, config: DIGITS_CONFIG },
      tri: { versions: { 1: MODELS.digits } },
    });
    writeFileSync(join(repo.dir, 'digits', 'labels.txt'), LABELS);
    writeFileSync(join(repo.dir, 'digits', '2', 'warmup.json'), WARMUP);
    writeFileSync(join(repo.dir, 'warmup-elsewhere.json'), WARMUP.replace('"data":[0', '"data":[8'));
    writeFileSync(join(repo.dir, 'tri', 'config.pbtxt'), 'max_batch_size: 16\n');
    const key = keyFiles(repo.dir, 'release');
    await cliSign(key, [join(repo.dir, 'digits'), join(repo.dir, 'tri')]);
    const pristine = mkdtempSync(join(tmpdir(), 'inferd-signed-'));
    for (const m of ['digits', 'tri']) cpSync(join(repo.dir, m), join(pristine, m), { recursive: true });
    const server = await start(repo.dir, key);
    try {
      const answer = await digitsAnswer(server);
      assert.match(answer, /^v2 [0-9.]+:\d:digit-\d$/);
      // Every change is tried (and undone) before judging, so a failure lists each one that got through.
      const wrong: string[] = [];
      for (const tamper of TAMPERS) {
        tamper.apply(repo.dir);
        const res = await call<{ error?: string }>(`${server.url}/v2/repository/models/${tamper.model}/load`, {
          method: 'POST',
        });
        const error = res.body.error ?? '';
        if (res.status !== 400 || !tamper.reason.test(error))
          wrong.push(`${tamper.what}: answered ${res.status} ${error}`);
        if (error.includes(repo.dir)) wrong.push(`${tamper.what}: an absolute path in ${error}`);
        const now = await digitsAnswer(server);
        if (now !== answer) wrong.push(`${tamper.what}: the answer changed from '${answer}' to '${now}'`);
        // Undone (the signed files back): the same load is taken.
        rmSync(join(repo.dir, tamper.model), { recursive: true });
        cpSync(join(pristine, tamper.model), join(repo.dir, tamper.model), { recursive: true });
        const again = await call<{ error?: string }>(`${server.url}/v2/repository/models/${tamper.model}/load`, {
          method: 'POST',
        });
        if (again.status !== 200)
          wrong.push(`${tamper.what}, undone: answered ${again.status} ${again.body.error ?? ''}`);
      }
      assert.deepEqual(wrong, []);
      const override = await call<{ error: string }>(`${server.url}/v2/repository/models/digits/load`, {
        method: 'POST',
        body: { parameters: { config: { max_batch_size: 2 } } },
      });
      assert.equal(override.status, 400);
      assert.match(override.body.error, /a load request cannot carry a config under the integrity policy 'signed'/);
      assert.equal(
        await eventCount(server, 'digits', 'model_refused'),
        TAMPERS.filter((t) => t.model === 'digits' && t.level === 'model').length,
      );
      assert.equal(await digitsAnswer(server), answer);
    } finally {
      await server.close();
      repo.cleanup();
      rmSync(pristine, { recursive: true, force: true });
    }
  });
});

describe('signed integrity at start', () => {
  test('a tampered config, an old-format signature and a changed features config: each model refused with its reason', async () => {
    const repo = tempRepo({
      digits: { versions: { 1: MODELS.digits }, config: DIGITS_CONFIG },
      old: { versions: { 1: MODELS.digits } },
    });
    writeFileSync(join(repo.dir, 'digits', 'labels.txt'), LABELS);
    cpSync(join(ROOT, 'models', 'fraud_xgb'), join(repo.dir, 'fraud'), { recursive: true });
    const features = readFileSync(join(ROOT, 'models', 'features.yaml'), 'utf8')
      .replace(/path: \.\.\/\.inferd\/features\.sqlite.*/, "path: ':memory:'")
      .replaceAll('fraud_xgb/', 'fraud/');
    writeFileSync(join(repo.dir, 'features.yaml'), features);
    const key = keyFiles(repo.dir, 'release');
    const signed = await cliSign(key, [join(repo.dir, 'digits'), join(repo.dir, 'fraud'), join(repo.dir, 'old', '1')]);
    assert.match(
      signed,
      /fraud: manifest\.json \(model folder: 4 files; absent: config\.pbtxt; features config\) and manifest\.sig/,
    );
    assert.match(signed, /note: .*old has no manifest\.json of its own: sign the model folder too/);
    let server = await start(repo.dir, key);
    try {
      const ready = (await index(server)).filter((r) => r.state === 'READY').map((r) => r.name);
      assert.deepEqual(ready, ['digits', 'fraud']);
    } finally {
      await server.close();
    }
    writeFileSync(join(repo.dir, 'digits', 'config.yaml'), DIGITS_CONFIG.replace('64', '32'));
    writeFileSync(join(repo.dir, 'features.yaml'), features.replace('fallback: default', 'fallback: reject'));
    server = await start(repo.dir, key);
    try {
      const rows = await index(server);
      const reason = (name: string) => rows.find((r) => r.name === name && r.version === undefined)?.reason ?? '';
      assert.deepEqual(
        rows.map((r) => [r.name, r.state]),
        [
          ['digits', 'UNAVAILABLE'],
          ['fraud', 'UNAVAILABLE'],
          ['old', 'UNAVAILABLE'],
        ],
      );
      assert.match(
        reason('digits'),
        /^integrity check failed for model 'digits': digits\/config\.yaml has sha256 [0-9a-f]{12}… but digits\/manifest\.json lists [0-9a-f]{12}… \(the file was changed after signing\); restore the signed file or re-sign the model folder \('inferd sign --key KEY digits'\)$/,
      );
      assert.match(
        reason('fraud'),
        /^integrity check failed for model 'fraud': fraud\/manifest\.json names features config sha256 [0-9a-f]{12}… but the features config this server read .* has sha256 [0-9a-f]{12}… \(it was changed after signing\)/,
      );
      assert.match(
        reason('old'),
        /old\/manifest\.json is missing and the integrity policy is 'signed': the model folder's config and label files must be signed as well .*re-run 'inferd sign --key KEY old' on the model folder/,
      );
      for (const name of ['digits', 'fraud', 'old'])
        assert.ok(!reason(name).includes(repo.dir), `no absolute path: ${reason(name)}`);
      const res = await call<{ error: string }>(`${server.url}/v2/models/digits/infer`, {
        method: 'POST',
        body: JSON.parse(digitsBody(0)) as unknown,
      });
      assert.equal(res.status, 503);
    } finally {
      await server.close();
      repo.cleanup();
    }
  });
});
