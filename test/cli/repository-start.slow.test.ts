/**
 * `inferd serve` as a child process on a mistyped or empty model repository: the start fails with a non-zero exit
 * and a message saying what is wrong and what to do, and nothing is created on disk. An empty start is possible
 * only when asked for, in explicit mode, and that server is ready and loads models added later.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { CLI_PATH, MODELS_DIR, get, postJson } from '../helpers/server.js';
import { runCli, shown } from './cli-helpers.js';

const PORTS = ['--http-port', '0', '--grpc-port=-1', '--metrics-port=-1'];

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'inferd-repo-start-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A new empty folder in the scratch folder. */
function emptyFolder(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  return dir;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a repository that cannot be served stops the start', () => {
  test('a missing repository exits non-zero, says so and what to do, and is not created', async () => {
    const missing = join(scratch, 'not-here', 'models');
    const r = await runCli(['serve', '--model-repository', missing, ...PORTS]);
    assert.notEqual(r.code, 0, shown(r));
    assert.match(
      r.stderr,
      /model repository .*not-here\/models.* does not exist \(inferd never creates it\)/,
      shown(r),
    );
    assert.match(r.stderr, /--model-repository/, shown(r));
    assert.doesNotMatch(r.stdout, /inferd listening/, shown(r));
    assert.equal(
      existsSync(join(scratch, 'not-here')),
      false,
      'neither the repository nor its parent folder was created',
    );
  });

  test('a relative missing path is named as given and as resolved', async () => {
    const r = await runCli(['serve', '--model-repository', 'no-such-models', ...PORTS], {
      INFERD_MODEL_REPOSITORY: undefined,
    });
    assert.notEqual(r.code, 0, shown(r));
    assert.match(
      r.stderr,
      new RegExp(`'no-such-models' \\(${escape(join(process.cwd(), 'no-such-models'))}\\) does not exist`),
      shown(r),
    );
    assert.equal(existsSync(join(process.cwd(), 'no-such-models')), false);
  });

  test('a file given as the repository exits non-zero: not a folder', async () => {
    const file = join(scratch, 'models.txt');
    writeFileSync(file, 'digits\n');
    const r = await runCli(['serve', '--model-repository', file, ...PORTS]);
    assert.notEqual(r.code, 0, shown(r));
    assert.match(r.stderr, /models\.txt is not a folder/, shown(r));
  });

  test('an empty repository exits non-zero, says how to start empty on purpose, and stays empty', async () => {
    const dir = emptyFolder('empty');
    const r = await runCli(['serve', '--model-repository', dir, ...PORTS]);
    assert.notEqual(r.code, 0, shown(r));
    assert.match(r.stderr, /has no model folders, so there is nothing to serve/, shown(r));
    assert.match(r.stderr, /--model-control-mode explicit \(or poll\) with --allow-empty-repository/, shown(r));
    assert.deepEqual(readdirSync(dir), [], 'no rollout store or other file was written into the repository');
  });

  test('a repository holding only files and dot folders counts as empty', async () => {
    const dir = emptyFolder('no-models');
    writeFileSync(join(dir, 'README.md'), '# models\n');
    mkdirSync(join(dir, '.inferd'));
    const r = await runCli(['serve', '--model-repository', dir, '--model-control-mode', 'explicit', ...PORTS]);
    assert.notEqual(r.code, 0, shown(r));
    assert.match(r.stderr, /has no model folders.*pass --allow-empty-repository/, shown(r));
  });

  test('--allow-empty-repository in mode none is refused: nothing could ever load', async () => {
    const dir = emptyFolder('empty-none');
    const r = await runCli(['serve', '--model-repository', dir, '--allow-empty-repository', ...PORTS]);
    assert.notEqual(r.code, 0, shown(r));
    assert.match(r.stderr, /applies only with --model-control-mode explicit or poll/, shown(r));
  });
});

describe('an empty start allowed in explicit mode', () => {
  test('is ready with no models, then loads a model added later; SIGTERM exits 0', async () => {
    const dir = emptyFolder('explicit-empty');
    const child = spawn(
      process.execPath,
      [
        CLI_PATH,
        'serve',
        '--model-repository',
        dir,
        '--model-control-mode',
        'explicit',
        '--allow-empty-repository',
        ...PORTS,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const logs: string[] = [];
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => logs.push(chunk));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          logs.push(line);
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg?.startsWith('inferd listening') && entry.url) resolve(entry.url);
        });
        void exited.then((code) => reject(new Error(`inferd exited ${code} before listening:\n${logs.join('\n')}`)));
      });
      assert.ok(
        logs.some((l) => l.includes('the model repository has no models yet')),
        'the empty start is logged as a warning',
      );
      assert.equal((await get(`${url}/v2/health/ready`)).status, 200, 'ready: no model is expected to load');
      assert.deepEqual((await postJson(`${url}/v2/repository/index`, {})).json, []);

      cpSync(join(MODELS_DIR, 'digits'), join(dir, 'digits'), { recursive: true });
      const load = await postJson(`${url}/v2/repository/models/digits/load`, {});
      assert.equal(load.status, 200, load.text);
      assert.equal((await get(`${url}/v2/models/digits/ready`)).status, 200);
      assert.equal((await get(`${url}/v2/health/ready`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, logs.join('\n'));
  });
});
