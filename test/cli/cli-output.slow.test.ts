/**
 * The built CLI when its output goes nowhere, and the log-reading commands without their config: every command
 * whose reader has gone (`inferd export ... | head -1`, or a pipe closed before the first write) stops quietly with
 * exit code 0 instead of dying on `write EPIPE` with a stack trace; `replay` and `export` without `--config`, or
 * with a config whose prediction log is not there, say so with exit code 2 and no stack trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { ROOT, type TempRepository } from '../helpers/server.js';
import { CANCER, infer, qualityRepository, startQualityServer } from '../quality/feedback-helpers.js';
import { runCli, runCliPiped, shown, type CliResult } from './cli-helpers.js';

/** More than a pipe holds (64 KiB): an export of them cannot be written before its reader closes. */
const PREDICTIONS = 300;

/** No sign of a crash: no EPIPE, no stack frame, no uncaught error. */
function assertQuiet(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what}: ${shown(r)}`);
  assert.doesNotMatch(r.stderr, /EPIPE|^\s+at |Error:/m, `${what}: ${shown(r)}`);
}

describe('inferd commands whose output is closed, and the log commands without a config', () => {
  let repo: TempRepository;
  let server: RunningServer;
  let dir: string;
  let config: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inferd-cli-output-'));
    repo = await qualityRepository();
    const audit = { path: join(dir, 'audit.db'), durability: 'acknowledged' as const };
    server = await startQualityServer(repo.dir, audit);
    for (let i = 0; i < PREDICTIONS; i++)
      await infer(server.url, 'cancer', `out-${i}`, [CANCER.inputs[i % CANCER.inputs.length]]);
    config = join(dir, 'inferd.json');
    writeFileSync(config, JSON.stringify({ model_repository: repo.dir, audit: { enabled: true, ...audit } }));
  });
  after(async () => {
    await server?.close();
    await repo?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('export | head -1: the first line arrives, then the export stops quietly with exit code 0', async () => {
    const whole = await runCli(['export', '--config', config, '--model', 'cancer', '--since', '1h']);
    assert.equal(whole.code, 0, shown(whole));
    assert.equal(whole.stdout.trim().split('\n').length, PREDICTIONS, 'every prediction was logged');
    assert.ok(
      whole.stdout.length > 128 * 1024,
      `the export (${whole.stdout.length} bytes) is larger than a pipe holds`,
    );
    const head = await runCliPiped(['export', '--config', config, '--model', 'cancer', '--since', '1h'], 'first-line');
    assertQuiet(head, 'export | head -1');
    assert.equal((JSON.parse(head.stdout.split('\n')[0]) as { request_id: string }).request_id, 'out-0');
    assert.doesNotMatch(head.stderr, /exported/, 'it stopped at the closed pipe rather than finishing');
    const csv = await runCliPiped(
      ['export', '--config', config, '--model', 'cancer', '--since', '1h', '--format', 'csv'],
      'first-line',
    );
    assertQuiet(csv, 'export --format csv | head -1');
    assert.match(csv.stdout, /^request_id,row,time,model,version,/);
  });

  test('every command with its stdout closed before it writes exits 0 without a stack trace', async () => {
    const url = ['--url', server.url];
    const keys = join(dir, 'keys');
    const commands: string[][] = [
      ['--help'],
      ['--version'],
      ['serve', '--help'],
      ['models', 'list', ...url],
      ['rollout', 'status', 'cancer', ...url],
      ['traffic', 'show', 'cancer', ...url],
      ['export', '--config', config, '--model', 'cancer', '--since', '1h'],
      ['replay', '--config', config, '--model', 'cancer', '--since', '1h', '--limit', '5', '--rate', '1000'],
      ['prometheus-rules', '--model-repository', repo.dir],
      ['validate', join(repo.dir, 'cancer')],
      ['keygen', '--out', keys],
      ['sign', join(repo.dir, 'digits', '1')],
      [
        'profile',
        '--model-repository',
        repo.dir,
        '--model',
        'digits',
        '--version',
        '1',
        '--data',
        join(ROOT, 'test/fixtures/drift/digits_train.csv'),
        '--exclude',
        'label',
        '--out',
        join(dir, 'profile.json'),
      ],
    ];
    for (const args of commands) assertQuiet(await runCliPiped(args, 'closed'), `inferd ${args.join(' ')}`);
  });

  test('replay and export without --config: the reason and the usage, exit code 2', async () => {
    for (const command of ['replay', 'export']) {
      const r = await runCli([command, '--model', 'cancer', '--since', '1h']);
      assert.equal(r.code, 2, shown(r));
      assert.match(
        r.stderr,
        new RegExp(
          `^inferd ${command}: --config FILE is required: the server config file whose audit: block names the prediction log`,
        ),
      );
      assert.match(
        r.stderr,
        new RegExp(
          `\\nUsage: inferd ${command} --config FILE --model M --since \\S+ \\[options\\]\\nRun 'inferd ${command} --help' for every option\\.\\n$`,
        ),
      );
      assert.equal(r.stdout, '');
    }
  });

  test('replay and export with a config whose prediction log is not there: where it looked, exit code 2', async () => {
    const missing = join(dir, 'elsewhere.json');
    writeFileSync(
      missing,
      JSON.stringify({ model_repository: repo.dir, audit: { enabled: true, path: join(dir, 'nothing-here.db') } }),
    );
    for (const command of ['replay', 'export']) {
      const r = await runCli([command, '--config', missing, '--model', 'cancer', '--since', '1h']);
      assert.equal(r.code, 2, shown(r));
      assert.equal(
        r.stderr,
        `inferd: no prediction log at ${join(dir, 'nothing-here.db')}; check audit.path in the server config (or --config)\n`,
      );
    }
  });
});
