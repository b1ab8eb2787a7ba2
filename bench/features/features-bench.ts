/**
 * What online features cost a request: p50/p99 of the fraud model served with its features fetched (Redis with a
 * warm cache, ≥95% hits; Redis with no cache; the embedded SQLite store with no cache) beside the same model with
 * every feature in the request. Servers are child processes; the load is closed-loop over keep-alive HTTP.
 * Appends a section to BENCHMARKS.md.
 *
 * Usage: npm run bench:features [-- --quick]   (needs Redis at 127.0.0.1:6379; keys under a unique prefix, deleted after)
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { percentile } from '../stats.js';
import { BenchServer, ROOT } from './bench-server.js';
import { closedLoop } from './load.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const DATA = join(ROOT, 'models', 'fraud_xgb', 'data');
const quick = process.argv.includes('--quick');
const SECONDS = quick ? 1.5 : 5;
const REPEATS = quick ? 1 : 3;
const CONNS = [1, 8];
/** One warm request in MISS_EVERY asks for a user never seen before (a cache miss, as a new customer is). */
const MISS_EVERY = 40;

type Table = Map<string, Array<number | null>>;

function readTable(file: string): Table {
  const [, ...lines] = readFileSync(join(DATA, file), 'utf8').trim().split('\n');
  return new Map(
    lines.map((l) => {
      const [id, , ...values] = l.split(',');
      return [id, values.map((v) => (v === '' ? null : Number(v)))];
    }),
  );
}

const users = readTable('synthetic_user_features.csv');
const merchants = readTable('synthetic_merchant_features.csv');
const userIds = [...users.keys()];
const merchantIds = [...merchants.keys()];

/** Deterministic request i: a user, a merchant and request-time values. */
function pick(i: number) {
  const u = userIds[(i * 7919) % userIds.length];
  const m = merchantIds[(i * 104729) % merchantIds.length];
  return { u, m, amount: 5 + ((i * 37) % 500), hour: i % 24, card: i % 3 === 0 };
}

function entityBody(i: number, missEvery = 0): string {
  const p = pick(i);
  const user = missEvery && i % missEvery === 0 ? `new-${randomUUID()}` : p.u;
  return JSON.stringify({
    parameters: { entities: { user_id: [user], merchant_id: [p.m] } },
    inputs: [
      { name: 'amount', datatype: 'FP32', shape: [1], data: [p.amount] },
      { name: 'hour_of_day', datatype: 'INT32', shape: [1], data: [p.hour] },
      { name: 'card_present', datatype: 'BOOL', shape: [1], data: [p.card] },
    ],
  });
}

function fullBody(i: number): string {
  const p = pick(i);
  const row = [p.amount, p.hour, Number(p.card), ...users.get(p.u)!, ...merchants.get(p.m)!];
  return JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 11], data: row }] });
}

function features(store: object, ttlMs: number): object {
  const view = (entity: string, names: string[], seed: string) => ({
    store: 'bench',
    entities: [entity],
    max_age_seconds: 315360000,
    cache: { ttl_ms: ttlMs },
    seed_csv: join(DATA, seed),
    features: Object.fromEntries(names.map((n) => [n, { type: n === 'merchant_high_risk_mcc' ? 'BOOL' : 'FP64' }])),
  });
  const header = (file: string) => readFileSync(join(DATA, file), 'utf8').split('\n')[0].split(',').slice(2);
  return {
    budget_ms: 20,
    stores: { bench: store },
    feature_views: {
      user_profile: view('user_id', header('synthetic_user_features.csv'), 'synthetic_user_features.csv'),
      merchant_risk: view('merchant_id', header('synthetic_merchant_features.csv'), 'synthetic_merchant_features.csv'),
    },
  };
}

interface Cell {
  readonly scenario: string;
  readonly conns: number;
  p50: number[];
  p99: number[];
  rps: number[];
  hitRate: number[];
}

async function hitCounts(server: BenchServer): Promise<[number, number]> {
  return [
    await server.metric('inferd_feature_cache_lookups_total', { result: 'hit' }),
    await server.metric('inferd_feature_cache_lookups_total', { result: 'miss' }),
  ];
}

async function measure(cell: Cell, server: BenchServer, body: (i: number) => string): Promise<void> {
  const [h0, m0] = await hitCounts(server);
  const r = await closedLoop(`${server.url}/v2/models/fraud_xgb/infer`, cell.conns, SECONDS, body);
  if (r.errors) throw new Error(`${cell.scenario}: ${r.errors} failed requests`);
  const [h1, m1] = await hitCounts(server);
  cell.p50.push(percentile(r.ms, 50));
  cell.p99.push(percentile(r.ms, 99));
  cell.rps.push(r.ms.length / r.seconds);
  if (h1 + m1 > h0 + m0) cell.hitRate.push((h1 - h0) / (h1 - h0 + m1 - m0));
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const f2 = (v: number) => v.toFixed(2);

function report(cells: Cell[], commit: string): string {
  const lines = [
    `## Online features — ${new Date().toISOString().slice(0, 19)}Z · ${commit}${quick ? ' · quick' : ''}`,
    '',
    `${cpus()[0]?.model.split(' ').slice(0, 2).join(' ')}, ${cpus().length} cores · Node ${process.version} · load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end · median of ${REPEATS} runs of ${SECONDS} s per cell`,
    '',
    'Model: models/fraud_xgb (XGBoost, 11 features: 3 from the request, 5 from view user_profile, 3 from merchant_risk), batch 1 per request, closed loop over keep-alive HTTP, server in its own process. ' +
      '**all features in request**: the client sends the assembled `input` tensor. **warm**: Redis store, cache TTL 10 min after one pass over the 2,000 users and 300 merchants; one request in 40 is a never-seen user (a miss). ' +
      '**cold**: cache off (ttl_ms 0): every request reads both views from the store (two pipelined HMGETs, in parallel). Added = p50/p99 minus the all-features cell at the same connection count.',
    '',
    '| scenario | conns | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | p50 ratio | p99 ratio | cache hit rate |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of cells) {
    const base = cells.find((b) => b.scenario === 'all features in request' && b.conns === c.conns)!;
    const [p50, p99, b50, b99] = [median(c.p50), median(c.p99), median(base.p50), median(base.p99)];
    const hit = c.hitRate.length ? `${(median(c.hitRate) * 100).toFixed(1)}%` : '—';
    const added =
      c === base
        ? ['—', '—', '1.00×', '1.00×']
        : [f2(p50 - b50), f2(p99 - b99), `${(p50 / b50).toFixed(2)}×`, `${(p99 / b99).toFixed(2)}×`];
    lines.push(
      `| ${c.scenario} | ${c.conns} | ${Math.round(median(c.rps))} | ${f2(p50)} | ${f2(p99)} | ${added.join(' | ')} | ${hit} |`,
    );
  }
  lines.push('', overhead(cells));
  return lines.join('\n') + '\n';
}

/** Two free ports on 127.0.0.1 (HTTP and metrics). */
async function freePorts(): Promise<{ http: number; metrics: number }> {
  const one = () =>
    new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
  const http = await one();
  let metrics = await one();
  while (metrics === http) metrics = await one();
  return { http, metrics };
}

/** One sentence quoting the overhead of the warm and cold Redis cells at one connection. */
function overhead(cells: Cell[]): string {
  const cell = (scenario: string) => cells.find((c) => c.scenario === scenario && c.conns === 1)!;
  const base = cell('all features in request');
  const say = (c: Cell) => {
    const [p50, p99, b50, b99] = [median(c.p50), median(c.p99), median(base.p50), median(base.p99)];
    return `+${f2(p50 - b50)} ms at p50 (${(p50 / b50).toFixed(2)}×) and +${f2(p99 - b99)} ms at p99 (${(p99 / b99).toFixed(2)}×)`;
  };
  const warm = cell('warm cache (Redis)');
  const hit = warm.hitRate.length ? ` (${(median(warm.hitRate) * 100).toFixed(1)}% hits)` : '';
  return `**Overhead at 1 connection**: feature fetch with a warm cache${hit} adds ${say(warm)}; with a cold cache (every request reads Redis) ${say(cell('cold cache (Redis)'))}.`;
}

async function deletePrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  client.disconnect();
}

async function main(): Promise<void> {
  const prefix = `inferd-bench:${randomUUID().slice(0, 8)}:`;
  const redisStore = { type: 'redis', url: REDIS_URL, key_prefix: prefix };
  const servers = {
    warm: new BenchServer(features(redisStore, 600_000), await freePorts()),
    cold: new BenchServer(features(redisStore, 0), await freePorts()),
    sqlite: new BenchServer(features({ type: 'sqlite', path: ':memory:' }, 0), await freePorts()),
  };
  process.on('exit', () => Object.values(servers).forEach((s) => s.kill()));
  try {
    for (const s of Object.values(servers)) await s.start(); // seeds the Redis keys (once) and the in-memory SQLite
    await closedLoop(`${servers.warm.url}/v2/models/fraud_xgb/infer`, 4, quick ? 1 : 2, (i) => entityBody(i)); // warm the cache
    const scenarios: Array<[string, BenchServer, (i: number) => string]> = [
      ['all features in request', servers.warm, fullBody],
      ['warm cache (Redis)', servers.warm, (i) => entityBody(i, MISS_EVERY)],
      ['cold cache (Redis)', servers.cold, (i) => entityBody(i)],
      ['cold cache (embedded SQLite)', servers.sqlite, (i) => entityBody(i)],
    ];
    const cells: Cell[] = CONNS.flatMap((conns) =>
      scenarios.map(([scenario]) => ({ scenario, conns, p50: [], p99: [], rps: [], hitRate: [] })),
    );
    for (let r = 0; r < REPEATS; r++) {
      for (const cell of r % 2 ? [...cells].reverse() : cells) {
        const [, server, body] = scenarios.find(([s]) => s === cell.scenario)!;
        await measure(cell, server, body);
        process.stderr.write(
          `bench:features ${cell.scenario}, ${cell.conns} conns: p50 ${f2(cell.p50.at(-1)!)} ms, p99 ${f2(cell.p99.at(-1)!)} ms\n`,
        );
      }
    }
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const section = report(cells, commit);
    process.stdout.write(section);
    appendFileSync(join(ROOT, 'BENCHMARKS.md'), `\n${section}`);
  } finally {
    for (const s of Object.values(servers)) await s.stop();
    await deletePrefix(prefix);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:features: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
