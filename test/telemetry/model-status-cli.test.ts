/**
 * `inferd serve` prints a model status table once it listens (as Triton does) in the pretty log format, and
 * one JSON line per model in the JSON format.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { CLI_PATH, FIXTURE_MODELS_DIR, MODELS_DIR, ROOT } from '../helpers/server.js';

/** Runs `inferd serve` until its listening line, then SIGTERM; resolves with every stdout line. */
async function serveUntilListening(repository: string, format: 'pretty' | 'json'): Promise<string[]> {
  const proc = spawn(
    process.execPath,
    [
      CLI_PATH,
      'serve',
      '--model-repository',
      repository,
      '--http-port',
      '0',
      '--grpc-port',
      '0',
      '--metrics-port',
      '0',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, INFERD_LOG_FORMAT: format },
    },
  );
  const lines: string[] = [];
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      lines.push(line);
      if (line.includes('inferd listening on')) resolve();
    });
    void exited.then((code) =>
      reject(new Error(`inferd exited (${code}) before listening:\n${lines.join('\n')}\n${stderr}`)),
    );
  });
  // The signal may arrive before the command has installed its handlers: any way of stopping will do here.
  proc.kill('SIGTERM');
  await exited;
  return lines;
}

async function repositoryWithBrokenModel(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'inferd-status-'));
  await mkdir(join(dir, 'digits', '1'), { recursive: true });
  await copyFile(join(MODELS_DIR, 'digits', '1', 'model.onnx'), join(dir, 'digits', '1', 'model.onnx'));
  await mkdir(join(dir, 'broken', '1'), { recursive: true });
  await copyFile(join(FIXTURE_MODELS_DIR, 'not_a_model.onnx'), join(dir, 'broken', '1', 'model.onnx'));
  await writeFile(join(dir, 'broken', 'config.yaml'), 'max_batch_size: 0\n');
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

test('in the pretty format the server prints a table of every model with READY or UNAVAILABLE and the reason', async () => {
  const repo = await repositoryWithBrokenModel();
  try {
    const lines = await serveUntilListening(repo.dir, 'pretty');
    const header = lines.findIndex((l) => /^\| Model +\| Version \| Status +\|$/.test(l));
    assert.ok(header > 0, `a table header:\n${lines.join('\n')}`);
    assert.match(lines[header - 2], /INFO .*models \(1 of 2 ready\):$/);
    const rows = lines.slice(header + 2, header + 4);
    assert.match(rows[0], /^\| broken \| 1 +\| UNAVAILABLE: .+ \|$/);
    assert.match(rows[1], /^\| digits \| 1 +\| READY +\|$/);
    assert.match(lines[header + 4], /^\+-+\+-+\+-+\+$/);
    assert.ok(
      lines.every((l) => !l.startsWith('{')),
      'no JSON lines in the pretty format',
    );
  } finally {
    await repo.remove();
  }
});

test('in the JSON format each model is one structured line', async () => {
  const repo = await repositoryWithBrokenModel();
  try {
    const entries = (await serveUntilListening(repo.dir, 'json')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const status = entries.filter((e) => typeof e.state === 'string');
    assert.deepEqual(
      status.map((e) => `${String(e.model)} ${String(e.state)}`),
      ['broken UNAVAILABLE', 'digits READY'],
    );
    assert.match(String(status[0].reason), /.+/);
  } finally {
    await repo.remove();
  }
});
