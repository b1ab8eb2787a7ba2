/**
 * The built CLI's options as its --help shows them: `serve --grpc-port -1` (and `=-1`, and the metrics port) turns
 * gRPC off on a real started server; `keygen --out` creates the folder; `rollout start --interval` takes a
 * duration with its unit and refuses a bare number, naming the units.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { CLI_PATH, MODELS_DIR, startTestServer } from '../helpers/server.js';
import { MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { runCli, shown } from './cli-helpers.js';

/** Starts `inferd serve ...args`, waits for its listening line, checks it is live, stops it; resolves with its output. */
async function serveOnce(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    [
      CLI_PATH,
      'serve',
      '--model-repository',
      MODELS_DIR,
      '--model-control-mode',
      'explicit',
      '--load-model',
      'digits',
      '--http-port',
      '0',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, INFERD_HOST: '' } },
  );
  let output = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string | undefined>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /inferd listening on (http:\/\/[^"\s]+)/.exec(output);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => resolve(undefined));
  });
  try {
    assert.ok(url, `inferd serve ${args.join(' ')} did not start:\n${output}`);
    assert.equal((await fetch(`${url}/v2/health/live`)).status, 200);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await exited;
  clearTimeout(timer);
  return { code, output };
}

describe('options as --help shows them', () => {
  test('serve --grpc-port -1 and --grpc-port=-1 (and --metrics-port -1) turn gRPC and metrics off', async () => {
    const help = await runCli(['serve', '--help']);
    assert.match(help.stdout, /--grpc-port PORT\s+gRPC port \(default: 8001; -1 turns it off\)/);
    assert.match(help.stdout, /--metrics-port PORT\s+Prometheus \/metrics port \(default: 8002; -1 turns it off\)/);
    for (const args of [
      ['--grpc-port', '-1', '--metrics-port', '-1'],
      ['--grpc-port=-1', '--metrics-port=-1'],
    ]) {
      const { code, output } = await serveOnce(args);
      assert.equal(code, 0, output);
      assert.doesNotMatch(output, /ambiguous|gRPC on|metrics on/, output);
    }
  });

  test('keygen --out creates the folder it is told to write to, keeps the private key private, and never overwrites', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferd-keygen-'));
    try {
      const out = join(dir, 'keys', 'release');
      const made = await runCli(['keygen', '--out', out, '--name', 'ci']);
      assert.equal(made.code, 0, shown(made));
      assert.ok(existsSync(join(out, 'ci.pub')));
      assert.equal(statSync(join(out, 'ci.key')).mode & 0o777, 0o600);
      const again = await runCli(['keygen', '--out', out, '--name', 'ci']);
      assert.equal(again.code, 2, shown(again));
      assert.match(again.stderr, /ci\.key and .*ci\.pub already exist; choose another --name or --out/);
      assert.doesNotMatch(again.stderr, /^\s+at /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rollout start --interval against a running server', () => {
  const repo = tempRepo({
    digits: {
      versions: { 1: MODELS.digits, 2: MODELS.heavy },
      config: 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n',
    },
  });
  let server: RunningServer;

  before(async () => {
    server = await startTestServer({ repository: repo.dir, config: { grpc_port: -1, metrics_port: -1 } });
  });
  after(async () => {
    await server?.close();
    repo.cleanup();
  });

  test('a bare number is refused naming the units; 5s is five seconds', async () => {
    const url = ['--url', server.url];
    const bare = await runCli(['rollout', 'start', 'digits', '--candidate', '2', '--interval', '5', ...url]);
    assert.equal(bare.code, 2, shown(bare));
    assert.match(
      bare.stderr,
      /^inferd rollout: --interval needs a unit: 5s, 5m or 5ms \(units: ms, s, m, h, d\), got '5'\n\nUsage: inferd rollout /,
    );
    const none = await runCli(['rollout', 'status', 'digits', '--json', ...url]);
    assert.deepEqual(JSON.parse(none.stdout), { rollouts: [] }, 'nothing was started');
    const started = await runCli([
      'rollout',
      'start',
      'digits',
      '--candidate',
      '2',
      '--interval',
      '5s',
      '--json',
      ...url,
    ]);
    assert.equal(started.code, 0, shown(started));
    assert.equal((JSON.parse(started.stdout) as { interval_ms: number }).interval_ms, 5000);
    const aborted = await runCli(['rollout', 'abort', 'digits', ...url]);
    assert.equal(aborted.code, 0, shown(aborted));
  });
});
