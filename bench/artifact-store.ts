/**
 * `npm run bench:artifact-store [-- --runs 8] [--no-report]`: time to ready for the bundled models (every model
 * folder of models/) served three ways, side by side in the same rounds:
 *
 * - local: `--model-repository <copy of models/>`, a fresh state directory;
 * - bucket, cold: `--model-repository s3://<bucket>/models` on an s3rver started here (127.0.0.1, a child process),
 *   a fresh state directory, so every version is pulled;
 * - bucket, warm: the same, restarted on the state directory a cold run left (the cache filled): nothing pulled.
 *
 * Each run spawns `inferd serve` on spare ports and polls GET /v2/health/ready every 5 ms until 200 (spawn() to
 * that answer). The three take turns, the order rotating every round, after one untimed round of each. The
 * features config is the bundled models/features.yaml for all three (fraud_xgb reads features). Reports medians,
 * min–max and ratios to local, and appends them to BENCHMARKS.md unless --no-report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { installCleanup } from './children.js';
import { gitCommit, loadAverage } from './machine.js';
import { INFERD_CLI, MODELS_DIR, REPO_ROOT } from './paths.js';
import { appendToBenchmarks } from './report.js';
import { median } from './stats.js';

const POLL_MS = 5;
const READY_TIMEOUT_MS = 120_000;
const BUCKET = 'inferd-bench';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '8' },
    'no-report': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const scratch = mkdtempSync(join(tmpdir(), 'inferd-artifact-bench-'));
const children = new Set<ChildProcess>();
installCleanup(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function readyStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/v2/health/ready', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

/** s3rver in a child process (DES continuation tokens need the legacy OpenSSL provider). */
async function startStore(): Promise<number> {
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const port = await sparePort();
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      bin,
      '--address',
      '127.0.0.1',
      '--port',
      `${port}`,
      '--directory',
      join(scratch, 's3'),
      '--silent',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.add(child);
  await new Promise<void>((resolve) =>
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()),
  );
  return port;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const modelNames = readdirSync(MODELS_DIR).filter((n) => statSync(join(MODELS_DIR, n)).isDirectory());

async function upload(port: number): Promise<number> {
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  let bytes = 0;
  for (const name of modelNames)
    for (const file of filesUnder(join(MODELS_DIR, name))) {
      const body = readFileSync(file);
      bytes += body.length;
      const key = `models/${relative(MODELS_DIR, file).split(sep).join('/')}`;
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    }
  client.destroy();
  return bytes;
}

type Kind = 'local' | 'cold' | 'warm';
let counter = 0;
/** The state directory the last cold run filled, for the warm run after it. */
let lastCold: string | undefined;

async function timeToReady(kind: Kind, storePort: number): Promise<number> {
  const n = ++counter;
  const state = kind === 'warm' && lastCold ? lastCold : join(scratch, `state-${n}`);
  let repository = `s3://${BUCKET}/models`;
  if (kind === 'local') {
    repository = join(scratch, `repo-${n}`);
    for (const name of modelNames) cpSync(join(MODELS_DIR, name), join(repository, name), { recursive: true });
  }
  const config = join(scratch, `config-${n}.yaml`);
  writeFileSync(
    config,
    `features_config: ${join(MODELS_DIR, 'features.yaml')}\nartifact_store:\n  endpoint: http://127.0.0.1:${storePort}\n  region: us-east-1\n`,
  );
  const http = await sparePort();
  const args = [INFERD_CLI, 'serve', '--config', config, '--model-repository', repository, '--state-dir', state];
  args.push('--http-port', `${http}`, '--grpc-port', `${await sparePort()}`, '--metrics-port', `${await sparePort()}`);
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
  });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let ms: number | undefined;
  while (ms === undefined) {
    if (child.exitCode !== null) throw new Error(`${kind} exited before it was ready: ${stderr}`);
    if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`${kind} not ready: ${stderr}`);
    if ((await readyStatus(http)) === 200) ms = performance.now() - started;
    else await sleep(POLL_MS);
  }
  child.kill('SIGTERM');
  await exited;
  children.delete(child);
  if (kind === 'local') rmSync(repository, { recursive: true, force: true });
  if (kind === 'cold') {
    if (lastCold) rmSync(lastCold, { recursive: true, force: true });
    lastCold = state;
  } else if (kind === 'local') rmSync(state, { recursive: true, force: true });
  return ms;
}

const storePort = await startStore();
const bytes = await upload(storePort);
const loadStart = loadAverage();
// The warm run follows a cold one in every rotation, so there is always a cache to find.
const kinds: Kind[] = ['local', 'cold', 'warm'];
for (const kind of kinds) await timeToReady(kind, storePort);
const results: Record<Kind, number[]> = { local: [], cold: [], warm: [] };
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? kinds : (['cold', 'warm', 'local'] as Kind[]);
  for (const kind of order) results[kind].push(await timeToReady(kind, storePort));
  process.stderr.write(
    `round ${i + 1}/${runs}: ${order.map((k) => `${k} ${results[k][i].toFixed(0)} ms`).join(' · ')}\n`,
  );
}
const loadEnd = loadAverage();

const ms = (xs: readonly number[]) => median(xs).toFixed(0);
const spread = (xs: readonly number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const ratio = (k: Kind) => (median(results[k]) / median(results.local)).toFixed(2);
const pairRatio = (k: Kind) => median(results[k].map((v, i) => v / results.local[i])).toFixed(2);
const markdown = [
  `## Models from an artefact store: time to ready — ${new Date().toISOString().slice(0, 19)}Z · ${gitCommit()} · \`npm run bench:artifact-store -- --runs ${runs}\``,
  '',
  `The bundled models (${modelNames.join(', ')}; ${(bytes / 1e6).toFixed(1)} MB in ${modelNames.length} model folders) served by \`inferd serve\`, spawn() to the first 200 from GET /v2/health/ready (polled every ${POLL_MS} ms). local: a fresh copy of models/ on disk; bucket cold: \`s3://${BUCKET}/models\` on s3rver (127.0.0.1, a child process, the same machine) with an empty cache, every version pulled; bucket warm: the same restarted on the state directory a cold run filled, nothing pulled. ${runs} rounds, the order alternating, after one untimed round. Load average ${loadStart} at start, ${loadEnd} at end.`,
  '',
  '| repository | median ms | min–max ms | ratio to local (medians) | median of per-round ratios |',
  '|---|---:|---:|---:|---:|',
  `| local folder | ${ms(results.local)} | ${spread(results.local)} | 1.00 | 1.00 |`,
  `| bucket, cold cache | ${ms(results.cold)} | ${spread(results.cold)} | ${ratio('cold')} | ${pairRatio('cold')} |`,
  `| bucket, warm cache (restart) | ${ms(results.warm)} | ${spread(results.warm)} | ${ratio('warm')} | ${pairRatio('warm')} |`,
  '',
].join('\n');
process.stdout.write(`${markdown}\n`);
if (!values['no-report']) appendToBenchmarks(markdown);
for (const c of children) c.kill('SIGTERM');
rmSync(scratch, { recursive: true, force: true });
