/**
 * `inferd profile`: runs the digits model's training split (test/fixtures/drift, made by
 * scripts/fixtures/make_drift_fixtures.py) through the model and writes profile.json beside the version.
 * Expected numbers were computed with numpy from the same CSV.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_PATH, ROOT, tempRepository, type TempRepository } from '../helpers/server.js';

const TRAIN = join(ROOT, 'test', 'fixtures', 'drift', 'digits_train.csv');

interface ProfileJson {
  rows: number;
  columns: number;
  input: string;
  features: Array<{
    name: string;
    kind: string;
    column: number;
    cuts?: number[];
    categories?: string[];
    fractions: number[];
    missing_rate: number;
    mean: number;
    std: number;
  }>;
  predictions: Array<{
    name: string;
    output: string;
    reduce: string;
    kind: string;
    categories?: string[];
    fractions: number[];
  }>;
}

describe('inferd profile', () => {
  let repo: TempRepository;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI_PATH, 'profile', '--model-repository', repo.dir, ...args], { encoding: 'utf8' });
  const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as ProfileJson;
  before(async () => {
    repo = await tempRepository({
      digits: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 64\n' } },
      pair: { onnx: 'two_in_two_out.onnx' },
    });
  });
  after(() => repo.cleanup());

  it('profiles every feature and the predictions of a CSV, beside the version, with a progress bar', () => {
    const r = run('--model', 'digits', '--version', '1', '--data', TRAIN, '--exclude', 'label');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^digits v1: profile of 1,347 rows \(64 features: 50 numeric, 14 categorical; 2 predictions: logits:class, label\) written to .*digits\/1\/profile\.json in \d+\.\d s\n$/,
    );
    assert.match(r.stderr, /profile digits v1 \[#{30}\] 100% 1,347 rows/);
    const p = read(join(repo.dir, 'digits', '1', 'profile.json'));
    assert.equal(p.rows, 1347);
    assert.equal(p.input, 'input');
    assert.deepEqual(
      p.features.map((f) => f.name),
      Array.from({ length: 64 }, (_, i) => `pixel_${i}`),
    );
    const px21 = p.features[21];
    // numpy.quantile deciles of pixel_21: 0, 0, 2, 6, 8, 11, 13, 15, 16 (the repeated 0 merged); bin counts by numpy searchsorted
    assert.deepEqual(px21.cuts, [0, 2, 6, 8, 11, 13, 15, 16]);
    assert.deepEqual(
      px21.fractions.map((f) => Math.round(f * 1347)),
      [367, 80, 142, 87, 149, 154, 185, 183, 0],
    );
    assert.ok(
      Math.abs(px21.mean - 7.792130660727543) < 1e-9 && Math.abs(px21.std - 6.20736663834023) < 1e-9,
      `mean ${px21.mean}, std ${px21.std}`,
    );
    // pixel_0 is always 0 in the digits: categorical with one category
    assert.deepEqual(
      [p.features[0].kind, p.features[0].categories, p.features[0].fractions],
      ['categorical', ['0'], [1]],
    );
    const [argmax, label] = p.predictions;
    assert.deepEqual([argmax.reduce, label.reduce, label.kind], ['argmax', 'value', 'categorical']);
    // The in-graph label is the argmax of the logits; 97.8% test accuracy keeps the predicted classes near the true 10% each
    assert.deepEqual(argmax.fractions, label.fractions);
    assert.deepEqual(label.categories, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    for (const f of label.fractions) assert.ok(f > 0.08 && f < 0.12, `class fraction ${f}`);
  });

  it('reads JSONL objects (by name) and arrays, and records missing values', () => {
    const lines = readFileSync(TRAIN, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const rows = lines.slice(1, 201).map((l) => l.split(',').map(Number));
    const objects = rows.map((v, i) =>
      JSON.stringify(Object.fromEntries(header.map((h, j) => [h, i < 50 && h === 'pixel_5' ? null : v[j]]))),
    );
    writeFileSync(join(repo.dir, 'rows.jsonl'), objects.join('\n') + '\n');
    writeFileSync(join(repo.dir, 'arrays.ndjson'), rows.map((v) => JSON.stringify(v.slice(0, 64))).join('\n') + '\n');
    const out = join(repo.dir, 'objects.json');
    const r = run(
      '--model',
      'digits',
      '--version',
      '1',
      '--data',
      join(repo.dir, 'rows.jsonl'),
      '--exclude',
      'label',
      '--out',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    const p = read(out);
    assert.equal(p.rows, 200);
    assert.equal(p.features[5].name, 'pixel_5');
    assert.equal(p.features[5].missing_rate, 0.25);
    const a = run(
      '--model',
      'digits',
      '--version',
      '1',
      '--data',
      join(repo.dir, 'arrays.ndjson'),
      '--out',
      join(repo.dir, 'arrays.json'),
    );
    assert.equal(a.status, 0, a.stderr);
    const q = read(join(repo.dir, 'arrays.json'));
    assert.equal(q.features[7].name, 'input[7]');
    assert.deepEqual(q.features[21].fractions, p.features[21].fractions);
  });

  it('says what is wrong: extra columns, an existing profile, a model it cannot profile', () => {
    const extra = run('--model', 'digits', '--version', '1', '--data', TRAIN, '--out', join(repo.dir, 'x.json'));
    assert.equal(extra.status, 2);
    assert.match(
      extra.stderr,
      /65 columns \(65 in the file, 0 excluded\), but input 'input' takes 64; exclude non-feature columns with --exclude/,
    );
    const exists = run('--model', 'digits', '--version', '1', '--data', TRAIN, '--exclude', 'label');
    assert.equal(exists.status, 2);
    assert.match(exists.stderr, /profile\.json exists; pass --force to replace it/);
    const forced = run('--model', 'digits', '--version', '1', '--data', TRAIN, '--exclude', 'label', '--force');
    assert.equal(forced.status, 0, forced.stderr);
    const pair = run('--model', 'pair', '--version', '1', '--data', TRAIN);
    assert.equal(pair.status, 2);
    assert.match(pair.stderr, /needs a model with one FP32 input \[-1, N\]/);
    const missing = run(
      '--model',
      'digits',
      '--version',
      '2',
      '--data',
      TRAIN,
      '--exclude',
      'label',
      '--out',
      join(repo.dir, 'y.json'),
    );
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /model 'digits' version 2 is not loaded/);
  });
});
