/**
 * `inferd validate MODEL_DIR` (the built CLI): passes on the bundled models; fails, naming the check and the
 * reason, on a corrupted artefact, a bad config, a broken warm-up file and wrong reference outputs (temporary
 * copies of the bundled digits model).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MODELS_DIR } from '../helpers/server.js';
import { MODELS } from '../lifecycle/lifecycle-helpers.js';
import { runCli, shown, type CliResult } from './cli-helpers.js';

interface ReportJson {
  ok: boolean;
  checks: Array<{ check: string; version?: number; status: string; detail: string }>;
}

/** The line of one check in the text report. */
function line(r: CliResult, check: string): string {
  const found = r.stdout
    .split('\n')
    .find((l) => new RegExp(`^  (pass|FAIL|skip)  ${check}( \\(version \\d+\\))?:`).test(l));
  assert.ok(found, `no '${check}' line in:\n${shown(r)}`);
  return found;
}

describe('inferd validate', () => {
  let dir: string;
  /** A fresh copy of models/digits (config, version 1 with its reference outputs) under a temporary folder. */
  const digitsCopy = (name: string) => {
    const copy = join(dir, name, 'digits');
    cpSync(join(MODELS_DIR, 'digits'), copy, { recursive: true });
    return copy;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'inferd-validate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every bundled model passes; digits compares its reference outputs', async () => {
    const models = readdirSync(MODELS_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name);
    assert.ok(models.length >= 5, models.join(', '));
    for (const m of models) {
      const r = await runCli(['validate', join(MODELS_DIR, m)]);
      assert.equal(r.code, 0, shown(r));
      assert.match(r.stdout, new RegExp(`model '${m}' is valid\\n$`));
    }
    const digits = await runCli(['validate', join(MODELS_DIR, 'digits'), '--version', '1']);
    assert.match(line(digits, 'config'), /pass {2}config: digits\/config\.yaml parses; versions on disk: 1/);
    assert.match(line(digits, 'load'), /pass {2}load \(version 1\): onnx runtime, 1 instance\(s\), ready in \d+ ms/);
    assert.match(
      line(digits, 'warm-up'),
      /pass {2}warm-up \(version 1\): 2 request\(s\) per instance \(generated from the signature\)/,
    );
    assert.match(
      line(digits, 'reference outputs'),
      /pass {2}reference outputs \(version 1\): 1 reference file \(reference\.json\): every output within tolerance/,
    );
  });

  test('signed and checksum policies pass on a signed copy', async () => {
    const copy = digitsCopy('signed');
    assert.equal((await runCli(['keygen', '--out', dir, '--name', 'release'])).code, 0);
    const signed = await runCli(['sign', '--key', join(dir, 'release.key'), copy]);
    assert.equal(signed.code, 0, shown(signed));
    const r = await runCli([
      'validate',
      copy,
      '--integrity',
      'signed',
      '--trusted-key',
      join(dir, 'release.pub'),
      '--json',
    ]);
    assert.equal(r.code, 0, shown(r));
    const report = JSON.parse(r.stdout) as ReportJson;
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.checks.map((c) => [c.check, c.version, c.status]),
      [
        ['config', undefined, 'pass'],
        ['integrity', undefined, 'pass'],
        ['versions', undefined, 'pass'],
        ['integrity', 1, 'pass'],
        ['load', 1, 'pass'],
        ['warm-up', 1, 'pass'],
        ['reference outputs', 1, 'pass'],
      ],
    );
    assert.match(
      report.checks[1].detail,
      /^signed: model folder: 1 file\(s\) match digits\/manifest\.json, no config file added, signature verified with trusted key 1$/,
    );
    assert.match(
      report.checks[3].detail,
      /^signed: 2 files match the manifest, signature verified with trusted key 1$/,
    );
    const unsigned = await runCli(['validate', copy, '--integrity', 'signed']);
    assert.equal(unsigned.code, 2, shown(unsigned));
    assert.match(unsigned.stderr, /--integrity signed needs --trusted-key FILE/);
  });

  test("a config changed or added after signing fails the model folder's integrity check; nothing is loaded", async () => {
    const copy = digitsCopy('config-changed');
    assert.equal((await runCli(['sign', copy])).code, 0);
    writeFileSync(join(copy, 'config.yaml'), `${readFileSync(join(copy, 'config.yaml'), 'utf8')}version_policy: all\n`);
    const changed = await runCli(['validate', copy, '--integrity', 'checksum']);
    assert.equal(changed.code, 1, shown(changed));
    assert.match(
      line(changed, 'integrity'),
      /FAIL {2}integrity: integrity check failed for model 'digits': digits\/config\.yaml has sha256 [0-9a-f]{12}… but digits\/manifest\.json lists [0-9a-f]{12}… \(the file was changed after signing\)/,
    );
    assert.match(line(changed, 'load'), /skip {2}load \(version 1\): not loaded: the integrity check failed/);
    assert.equal((await runCli(['sign', copy])).code, 0);
    writeFileSync(join(copy, 'config.pbtxt'), 'max_batch_size: 1\n');
    const added = await runCli(['validate', copy, '--integrity', 'checksum']);
    assert.equal(added.code, 1, shown(added));
    assert.match(
      line(added, 'integrity'),
      /FAIL {2}integrity: integrity check failed for model 'digits': digits\/config\.pbtxt appeared after signing/,
    );
  });

  test('a corrupted artefact fails the integrity check (and is not loaded), or the load without a policy', async () => {
    const copy = digitsCopy('corrupt');
    assert.equal((await runCli(['sign', copy])).code, 0);
    const model = join(copy, '1', 'model.onnx');
    const bytes = readFileSync(model);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(model, bytes);
    const checked = await runCli(['validate', copy, '--integrity', 'checksum']);
    assert.equal(checked.code, 1, shown(checked));
    assert.match(line(checked, 'integrity'), /pass {2}integrity: checksum: model folder/);
    assert.match(
      checked.stdout,
      /FAIL {2}integrity \(version 1\): integrity check failed for model 'digits' version 1: model\.onnx has sha256 [0-9a-f]{12}… but manifest\.json lists [0-9a-f]{12}… \(the file is corrupted or was changed\); restore the published file or re-sign the version/,
    );
    assert.match(line(checked, 'load'), /skip {2}load \(version 1\): not loaded: the integrity check failed/);
    assert.match(checked.stdout, /model 'digits' is NOT valid: 1 check failed\n$/);

    cpSync(MODELS.corrupt, model);
    const unchecked = await runCli(['validate', copy]);
    assert.equal(unchecked.code, 1, shown(unchecked));
    assert.match(line(unchecked, 'integrity'), /skip {2}integrity/);
    assert.match(line(unchecked, 'load'), /FAIL {2}load \(version 1\): .*model\.onnx/);
    assert.match(
      line(unchecked, 'reference outputs'),
      /skip {2}reference outputs \(version 1\): the version did not load/,
    );
  });

  test('a bad config fails the config check with its reason', async () => {
    const copy = digitsCopy('config');
    writeFileSync(join(copy, 'config.yaml'), 'max_batch_size: lots\n');
    const r = await runCli(['validate', copy]);
    assert.equal(r.code, 1, shown(r));
    assert.match(
      line(r, 'config'),
      /FAIL {2}config: digits\/config\.yaml: invalid model config: ✖ Invalid input: expected number, received string → at max_batch_size$/,
    );
    assert.doesNotMatch(r.stdout, /load/, 'nothing is loaded with a broken config');
    const missing = await runCli(['validate', digitsCopy('version'), '--version', '7']);
    assert.equal(missing.code, 1, shown(missing));
    assert.match(line(missing, 'versions'), /FAIL {2}versions: version 7 is not in .*digits \(versions on disk: 1\)/);
    const noFolder = await runCli(['validate', join(dir, 'nowhere', 'digits')]);
    assert.equal(noFolder.code, 1, shown(noFolder));
    assert.match(line(noFolder, 'config'), /is not a folder: pass a model folder such as models\/digits/);
  });

  test('a warm-up file the model cannot run fails the warm-up check', async () => {
    const copy = digitsCopy('warmup');
    writeFileSync(
      join(copy, '1', 'warmup.json'),
      JSON.stringify({ inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0) }] }),
    );
    const r = await runCli(['validate', copy]);
    assert.equal(r.code, 1, shown(r));
    assert.match(line(r, 'load'), /pass {2}load \(version 1\): the instances started/);
    assert.match(
      line(r, 'warm-up'),
      /FAIL {2}warm-up \(version 1\): model 'digits' version 1: warm-up request 1 of 1 from \S+\/1\/warmup\.json failed: .*; fix warmup\.json or the model/,
    );
  });

  test('wrong reference outputs fail with the output, the element and the tolerance', async () => {
    const copy = digitsCopy('reference');
    const file = join(copy, '1', 'validation', 'reference.json');
    const reference = JSON.parse(readFileSync(file, 'utf8')) as {
      expected: { outputs: Array<{ name: string; data: number[][] | number[] }> };
    };
    const logits = reference.expected.outputs.find((o) => o.name === 'logits')!.data as number[][];
    logits[0][3] += 0.5;
    const label = reference.expected.outputs.find((o) => o.name === 'label')!.data as number[];
    label[2] = (label[2] + 1) % 10;
    writeFileSync(file, JSON.stringify(reference));
    writeFileSync(join(copy, '1', 'validation', 'zz-broken.json'), '{"request": {}}');
    const r = await runCli(['validate', copy]);
    assert.equal(r.code, 1, shown(r));
    const detail = line(r, 'reference outputs');
    assert.match(
      detail,
      /FAIL {2}reference outputs \(version 1\): validation\/reference\.json: output 'logits': 1 of 80 values differ; element 3 is -?[\d.e-]+, expected -?[\d.e-]+ \(off by 0\.5\d*, allowed 0\.000\d+\)/,
    );
    assert.match(
      detail,
      /validation\/reference\.json: output 'label': 1 of 8 values differ; element 2 is \d, expected \d/,
    );
    assert.match(detail, /validation\/zz-broken\.json is not a reference file \(.*request\.inputs.*expected/);
    assert.match(line(r, 'load'), /pass/);
  });
});
