/**
 * What the response cache adds to a request's server time: the in-process core (`Inferd`, no door) answering one
 * row of the digits model, timed around `service.infer` (the time /metrics reports as request duration):
 *
 * - plain: the model without a cache (every request computed);
 * - hit: the model with a cache, an input answered before (memory tier);
 * - miss: the model with a cache, an input never seen (lookup, compute, store);
 * - miss with Redis tier: the same with the shared tier configured (a Redis round trip before computing);
 * - shared hit: a second core on the same files, an input the first one computed (Redis tier, then memory).
 *
 * Kinds alternate in rounds; each round's p50 is kept and the medians of the rounds reported.
 * Usage: npm run bench:cache [-- --quick] [-- --no-append]   (the shared row needs Redis at 127.0.0.1:6379)
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Inferd } from '../../src/inferd.js';
import { median, percentile } from '../stats.js';
import { REPO_ROOT } from '../paths.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const PER_ROUND = quick ? 2000 : 5000;
const REDIS_URL = 'redis://127.0.0.1:6379';

function repository(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-cache-bench-'));
  const cache = 'bypass: never, max_bytes: 268435456, ttl_ms: 3600000';
  const redis = `redis: { url: '${REDIS_URL}', key_prefix: '${prefix}' }`;
  for (const [name, config] of [
    ['plain', ''],
    ['cached', `cache: { ${cache} }\n`],
    ['shared', `cache: { ${cache}, ${redis} }\n`],
  ] as const) {
    mkdirSync(join(dir, name, '1'), { recursive: true });
    cpSync(join(REPO_ROOT, 'models/digits/1/model.onnx'), join(dir, name, '1', 'model.onnx'));
    writeFileSync(join(dir, name, 'config.yaml'), `warmup: { iterations: 50 }\n${config}`);
  }
  return dir;
}

/** A row of its own for every seed: the first element is the seed. */
const row = (seed: number) =>
  Float32Array.from({ length: 64 }, (_, j) => (j === 0 ? seed : ((seed * 31 + j * 7) % 97) / 6));
const request = (model: string, data: Float32Array) => ({
  model,
  inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [1, 64], data }],
});

async function timed(core: Inferd, model: string, inputs: readonly Float32Array[]): Promise<number[]> {
  const out: number[] = [];
  for (const data of inputs) {
    const r = request(model, data.slice()); // the core takes ownership of the buffer
    const started = performance.now();
    await core.service.infer(r);
    out.push((performance.now() - started) * 1000);
  }
  return out;
}

async function main(): Promise<void> {
  const prefix = `inferd-bench:${randomUUID().slice(0, 8)}:`;
  const dir = repository(prefix);
  const a = await Inferd.create({ modelRepository: dir });
  const b = await Inferd.create({ modelRepository: dir });
  const kindNames = ['plain', 'hit', 'miss', 'miss with Redis tier', 'shared hit (Redis)'];
  const p50s: Record<string, number[]> = Object.fromEntries(kindNames.map((k) => [k, []]));
  const p99s: Record<string, number[]> = Object.fromEntries(kindNames.map((k) => [k, []]));
  const hot = Array.from({ length: 64 }, (_, i) => row(i));
  try {
    await timed(a, 'cached', hot); // the hot set, computed once
    let fresh = 1_000_000;
    for (let round = 0; round < ROUNDS; round++) {
      const hotInputs = Array.from({ length: PER_ROUND }, (_, i) => hot[i % hot.length]);
      const newInputs = Array.from({ length: PER_ROUND }, () => row(fresh++));
      const kinds: Array<[string, () => Promise<number[]>]> = [
        ['plain', () => timed(a, 'plain', hotInputs)],
        ['hit', () => timed(a, 'cached', hotInputs)],
        ['miss', () => timed(a, 'cached', newInputs)],
        ['miss with Redis tier', () => timed(a, 'shared', newInputs)],
        ['shared hit (Redis)', () => timed(b, 'shared', newInputs)], // computed by `a` just before: Redis has them
      ];
      if (round % 2) kinds.splice(0, 2, kinds[1], kinds[0]);
      for (const [kind, run] of kinds) {
        const us = await run();
        p50s[kind].push(percentile(us, 50));
        p99s[kind].push(percentile(us, 99));
      }
    }
    const stats = a.service.statistics('cached')[0]?.cache;
    const shared = b.service.statistics('shared')[0]?.cache;
    const plain = median(p50s.plain);
    const lines = [
      `## Response cache: server time of a hit (${new Date().toISOString().slice(0, 10)})`,
      '',
      `In-process core, digits (one row), ${ROUNDS} rounds × ${PER_ROUND} requests per kind, kinds alternating; ` +
        `medians of the rounds' p50 and p99 (µs, around \`service.infer\`). ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}. ` +
        '`npm run bench:cache`.',
      '',
      '| request | p50 µs | p99 µs | p50 vs plain |',
      '| --- | ---: | ---: | ---: |',
      ...Object.keys(p50s).map(
        (k) =>
          `| ${k} | ${median(p50s[k]).toFixed(1)} | ${median(p99s[k]).toFixed(1)} | ${(median(p50s[k]) / plain).toFixed(2)}× |`,
      ),
      '',
      `A hit's whole server time is ${median(p50s.hit).toFixed(1)} µs at p50 (target: a hit adds ≤ 50 µs); ` +
        `a miss costs ${(median(p50s.miss) - plain).toFixed(1)} µs more than no cache (key, lookup, copy, store), ${(median(p50s['miss with Redis tier']) - plain).toFixed(1)} µs with the Redis tier. ` +
        `Moving averages the bypass policy keeps: lookup ${((stats?.lookupMs ?? 0) * 1000).toFixed(1)} µs, ` +
        `answer of a miss ${((stats?.computeMs ?? 0) * 1000).toFixed(1)} µs; shared hits ${shared?.sharedHits ?? 0}, shared errors ${shared?.sharedErrors ?? 0}.`,
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (!process.argv.includes('--no-append'))
      appendFileSync(join(REPO_ROOT, 'BENCHMARKS.md'), `\n${lines.join('\n')}`);
  } finally {
    await a.stop();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}

await main();
