/**
 * `inferd serve` as the build leaves it: the command runs from its bundle (src/cli/cli-bundle.ts) with the code
 * cache written at build time, and the bundled server answers HTTP, gRPC and metrics like the modules do. A cache
 * V8 rejects (other V8 flags) only costs time: the server still starts and answers. Nothing is written at run time.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUNDLE_FILES, bundleIsCurrent, mtimeOf } from '../../src/cli/cli-bundle.js';
import { connect } from '../grpc/grpc-client.js';
import { CLI_PATH } from '../helpers/server.js';
import { GIVE_UP_MS, waitFor } from '../helpers/wait-for.js';
import { digitsBody, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';

interface Listening {
  readonly url: string;
  readonly code_loading: string;
  readonly code_cache?: string;
}

/** Starts `inferd serve` on digits alone (node given `nodeFlags`), runs `check` against it, then stops it. */
async function withServer(
  nodeFlags: readonly string[],
  check: (listening: Listening, output: () => string) => Promise<void>,
): Promise<void> {
  const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
  const stateDir = mkdtempSync(join(tmpdir(), 'inferd-bundle-state-'));
  const args = ['serve', '--model-repository', repo.dir, '--state-dir', stateDir];
  const ports = ['--http-port', '0', '--grpc-port', '0', '--metrics-port', '0'];
  const child = spawn(process.execPath, [...nodeFlags, CLI_PATH, ...args, ...ports], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INFERD_HOST: '', INFERD_LOG_FORMAT: 'json', INFERD_SHUTDOWN_DELAY_MS: '0' },
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS); // only so a stuck child cannot hang the suite
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  try {
    await waitFor(() => output.includes('"startup_phases_ms"') || exited, 'the server to listen');
    const line = output.split('\n').find((l) => l.includes('"startup_phases_ms"'));
    assert.ok(line, `the server did not start:\n${output}`);
    await check(JSON.parse(line) as Listening, () => output);
  } finally {
    child.kill('SIGTERM');
    await exit;
    clearTimeout(killer);
    repo.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The address a "<what> on <address>" line of the log names. */
function addressFrom(output: string, what: string): string {
  const match = new RegExp(`"msg":"${what} on ([^"]+)"`).exec(output);
  assert.ok(match, `no '${what} on' line:\n${output}`);
  return match[1];
}

test('the build leaves a current bundle with its code cache (npm run build; the test runner rebuilds a stale one)', () => {
  assert.ok(bundleIsCurrent(), `${BUNDLE_FILES.bundle} is missing or older than the compiled modules`);
  assert.ok(readdirSync(join(BUNDLE_FILES.cache, '..')).includes('inferd-cli.bundle.cache'));
});

test('inferd serve runs from the bundle with the code cache taken, and answers HTTP, gRPC and metrics', async () => {
  const written = () => [BUNDLE_FILES.bundle, BUNDLE_FILES.cache, BUNDLE_FILES.stamp].map((f) => mtimeOf(f));
  const before = written();
  await withServer([], async (listening, output) => {
    assert.equal(listening.code_loading, 'bundle');
    assert.equal(listening.code_cache, 'accepted');
    const ready = await fetch(`${listening.url}/v2/health/ready`);
    assert.equal(ready.status, 200, await ready.text());
    const http = await fetch(`${listening.url}/v2/models/digits/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: digitsBody(0),
    });
    const answer = (await http.json()) as { outputs: Array<{ name: string }> };
    assert.equal(http.status, 200, JSON.stringify(answer));
    assert.ok(answer.outputs.length > 0);
    const client = connect(addressFrom(output(), 'gRPC'));
    try {
      const body = JSON.parse(digitsBody(0)) as { inputs: Array<{ data: number[] } & Record<string, unknown>> };
      const [input] = body.inputs;
      const grpc = await client.call<{ outputs: unknown[] }>('ModelInfer', {
        model_name: 'digits',
        inputs: [{ ...input, data: undefined, contents: { fp32_contents: input.data } }],
      });
      assert.equal(grpc.outputs.length, answer.outputs.length);
    } finally {
      client.close();
    }
    const metrics = await fetch(addressFrom(output(), 'metrics'));
    assert.match(await metrics.text(), /inferd_requests_total\{[^}]*model="digits"/);
  });
  assert.deepEqual(
    written(),
    before,
    'nothing is written beside the bundle at run time (a read-only file system is fine)',
  );
});

test('a code cache V8 rejects (other V8 flags) costs only time: inferd serve starts and answers', async () => {
  await withServer(['--no-flush-bytecode'], async (listening) => {
    assert.equal(listening.code_loading, 'bundle');
    assert.equal(listening.code_cache, 'rejected');
    const http = await fetch(`${listening.url}/v2/models/digits/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: digitsBody(1),
    });
    assert.equal(http.status, 200, await http.text());
  });
});
