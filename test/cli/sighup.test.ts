/**
 * `inferd serve` without API keys or TLS: SIGHUP's default action would end the process. The server logs the
 * hang-up and keeps answering.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { CLI_PATH, MODELS_DIR } from '../helpers/server.js';
import { GIVE_UP_MS, waitFor } from '../helpers/wait-for.js';

test('SIGHUP does not stop a server without keys or TLS; it is logged and the server keeps answering', async () => {
  const args = [
    'serve',
    '--model-repository',
    MODELS_DIR,
    '--model-control-mode',
    'explicit',
    '--http-port',
    '0',
    '--grpc-port=-1',
    '--metrics-port=-1',
    '--log-level',
    'info',
  ];
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INFERD_HOST: '' },
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS); // only so a stuck child cannot hang the suite
  let output = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  try {
    await waitFor(
      () => /inferd listening on (http:\/\/[^"\s]+)/.test(output) || exit !== undefined,
      'the server to start',
    );
    assert.equal(exit, undefined, output);
    const url = /inferd listening on (http:\/\/[^"\s]+)/.exec(output)![1];
    child.kill('SIGHUP');
    await waitFor(() => output.includes('SIGHUP') || exit !== undefined, 'the SIGHUP to be handled');
    assert.equal(exit, undefined, `the server exited on SIGHUP: ${JSON.stringify(exit)}\n${output}`);
    const live = await fetch(`${url}/v2/health/live`);
    assert.equal(live.status, 200);
  } finally {
    child.kill('SIGTERM');
    await exited;
    clearTimeout(killer);
  }
});
