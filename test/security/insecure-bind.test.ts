import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { CLI_PATH, MODELS_DIR } from '../helpers/server.js';
import { GIVE_UP_MS } from '../helpers/wait-for.js';

const ARGS = [
  'serve',
  '--model-repository',
  MODELS_DIR,
  '--model-control-mode',
  'explicit',
  '--host',
  '0.0.0.0',
  '--http-port',
  '0',
  '--grpc-port=-1',
  '--metrics-port=-1',
  '--log-level',
  'info',
];

/** Runs the CLI; resolves when it exits or, with `until`, once its output matches (then stops it with SIGTERM). */
function run(args: string[], until?: RegExp): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, INFERD_HOST: '' },
    });
    let output = '';
    let stopping: NodeJS.Timeout | undefined;
    // Only so a child that never exits cannot hang the suite; a loaded machine may take long to start it.
    const timer = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // The signal handlers are installed just after the listening line: give them a moment.
      if (until?.test(output) && !stopping) stopping = setTimeout(() => child.kill('SIGTERM'), 300);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('refuses to serve 0.0.0.0 without auth, saying what to do', async () => {
  const { code, output } = await run(ARGS);
  assert.notEqual(code, 0);
  assert.match(output, /refusing to serve 0\.0\.0\.0 without authentication/);
  assert.match(output, /--insecure/);
});

test('serves 0.0.0.0 without auth with --insecure, warning about it', async () => {
  const { code, output } = await run([...ARGS, '--insecure'], /inferd listening/);
  assert.match(output, /WITHOUT authentication/);
  assert.match(output, /inferd listening/);
  assert.equal(code, 0);
});
