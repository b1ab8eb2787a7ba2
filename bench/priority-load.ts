/**
 * The priority overload scenario, shared by bench/overload-priorities.ts and test/resilience/overload.test.ts:
 * a built inferd child process serving a copy of mlp_heavy (each request a 64-row batch, requests not joined, so
 * capacity is set by compute and the main thread keeps room to parse and refuse) with three priority levels, a
 * short queue and a concurrency limit. Its capacity is measured with a
 * short closed-loop run; then it is driven open-loop at a multiple of that with a mix of priorities (header
 * `x-inferd-priority`), while its RSS is sampled.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type Service } from './children.js';
import { INFERD_CLI, MODELS_DIR, REPO_ROOT } from './paths.js';
import { rssKb } from './process-stats.js';
import { percentile } from './stats.js';

export const PRIORITIES = [1, 2, 3] as const;
/**
 * Share of the offered load per priority level: 10 % high, 30 % middle, 60 % low. At 3× capacity the high
 * priority alone is 0.3 of capacity; it is the minority a priority exists for (checkout among page views). Its
 * queueing is then mostly the wait for the request in service: with 20 % high (0.6 of capacity by itself) the
 * high priority queues behind its own traffic and its p99 measured 1.9-3.0× unloaded.
 */
const PATTERN = [1, 2, 3, 3, 2, 3, 3, 3, 2, 3];

export interface OverloadScenarioOptions {
  /** Open-loop rate as a multiple of the measured capacity. */
  readonly factor: number;
  readonly durationS: number;
  /** Closed-loop seconds for the capacity and unloaded-latency runs. */
  readonly probeS: number;
  readonly log?: (line: string) => void;
  /** Priorities of successive requests, repeated (default: 10 % priority 1, 30 % 2, 60 % 3); [2] sends one level. */
  readonly pattern?: readonly number[];
}

export interface LevelResult {
  readonly priority: number;
  readonly sent: number;
  readonly ok: number;
  readonly refused: number;
  readonly other: number;
  readonly okP50Ms: number;
  readonly okP99Ms: number;
  readonly refusedP50Ms: number;
  readonly refusedP99Ms: number;
}

export interface OverloadScenarioResult {
  readonly capacityRps: number;
  readonly offeredRps: number;
  readonly unloadedP50Ms: number;
  readonly unloadedP99Ms: number;
  readonly levels: readonly LevelResult[];
  readonly rssStartMb: number;
  readonly rssMaxMb: number;
  readonly rssEndMb: number;
  readonly aliveAfter: boolean;
  readonly healthAfter: number;
  /** inferd_shed_total samples by reason and priority, from /metrics after the run. */
  readonly shed: Readonly<Record<string, number>>;
}

/**
 * mlp_heavy, each request a full batch of ROWS rows, requests not joined: one request is some milliseconds of
 * compute on one core, so capacity is set by compute and the main thread keeps room to parse and refuse.
 */
const ROWS = 64;
const MODEL_CONFIG = `# mlp_heavy for the priority overload scenario: no joining, short queue, three priorities, a concurrency limit
max_batch_size: ${ROWS}
dynamic_batching: { enabled: false, max_queue_size: 4, priority_levels: 3, default_priority_level: 2 }
max_concurrency: 6
onnx: { intra_op_threads: 1 }
`;

function repository(): string {
  const root = mkdtempSync(join(tmpdir(), 'inferd-overload-priorities-'));
  mkdirSync(join(root, 'heavy', '1'), { recursive: true });
  copyFileSync(join(MODELS_DIR, 'mlp_heavy', '1', 'model.onnx'), join(root, 'heavy', '1', 'model.onnx'));
  writeFileSync(join(root, 'heavy', 'config.yaml'), MODEL_CONFIG);
  return root;
}

const BODY = JSON.stringify({
  inputs: [
    {
      name: 'input',
      datatype: 'FP32',
      shape: [ROWS, 64],
      data: Array.from({ length: ROWS * 64 }, (_, i) => (i * 5) % 17),
    },
  ],
});

interface Sample {
  readonly status: number;
  readonly ms: number;
}

function post(agent: http.Agent, url: string, priority: number): Promise<Sample> {
  const start = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(BODY),
          'x-inferd-priority': String(priority),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }));
        res.on('error', () => resolve({ status: -1, ms: performance.now() - start }));
      },
    );
    req.setTimeout(30_000, () => req.destroy());
    req.on('error', () => resolve({ status: -1, ms: performance.now() - start }));
    req.end(BODY);
  });
}

/** `concurrency` loops sending back to back for `seconds`: throughput and latencies of 200s. */
async function closedLoop(
  agent: http.Agent,
  url: string,
  concurrency: number,
  seconds: number,
  priority: number,
): Promise<{ rps: number; ms: number[] }> {
  const until = performance.now() + seconds * 1000;
  const ms: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const s = await post(agent, url, priority);
        if (s.status === 200) ms.push(s.ms);
      }
    }),
  );
  return { rps: ms.length / ((performance.now() - started) / 1000), ms };
}

/** Sends at `rps` for `seconds` regardless of answers (open loop), priorities by PATTERN. */
async function openLoop(
  agent: http.Agent,
  url: string,
  rps: number,
  seconds: number,
  pattern: readonly number[],
): Promise<Map<number, Sample[]>> {
  const byLevel = new Map<number, Sample[]>(PRIORITIES.map((p) => [p, []]));
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = (performance.now() - start) / 1000;
      if (elapsed >= seconds) {
        clearInterval(tick);
        resolve();
        return;
      }
      for (const due = Math.floor(elapsed * rps); sent < due; sent++) {
        const priority = pattern[sent % pattern.length];
        pending.push(post(agent, url, priority).then((s) => void byLevel.get(priority)!.push(s)));
      }
    }, 2);
  });
  await Promise.all(pending);
  return byLevel;
}

const round = (x: number) => Math.round(x * 100) / 100;

function summarize(priority: number, samples: readonly Sample[]): LevelResult {
  const ok = samples.filter((s) => s.status === 200).map((s) => s.ms);
  const refused = samples.filter((s) => s.status === 503).map((s) => s.ms);
  return {
    priority,
    sent: samples.length,
    ok: ok.length,
    refused: refused.length,
    other: samples.length - ok.length - refused.length,
    okP50Ms: round(percentile(ok, 50)),
    okP99Ms: round(percentile(ok, 99)),
    refusedP50Ms: round(percentile(refused, 50)),
    refusedP99Ms: round(percentile(refused, 99)),
  };
}

async function shedCounts(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^inferd_shed_total\{.*reason="([^"]+)".*priority="(\d+)".*\} (\S+)$/.exec(line);
    if (m) out[`${m[1]} p${m[2]}`] = Number(m[3]);
  }
  return out;
}

/** The metrics URL the server logged at start (before its "listening on" line), or '' if none. */
function metricsUrlOf(service: Service): string {
  return /"metrics_url":"([^"]+)"/.exec(service.tail())?.[1] ?? '';
}

/** Runs the whole scenario against a fresh child server, which it stops afterwards. */
export async function runOverloadScenario(options: OverloadScenarioOptions): Promise<OverloadScenarioResult> {
  const log = options.log ?? (() => {});
  const repo = repository();
  const args = [
    INFERD_CLI,
    'serve',
    '--model-repository',
    repo,
    '--http-port',
    '0',
    '--grpc-port=-1',
    '--metrics-port',
    '0',
    '--log-level',
    'info',
  ];
  const server = await startService('inferd (overload priorities)', process.execPath, args, { cwd: REPO_ROOT });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  try {
    const metricsLine = metricsUrlOf(server);
    const url = `${server.url}/v2/models/heavy/infer`;
    await closedLoop(agent, url, 4, 1, 2); // warm up
    const unloaded = await closedLoop(agent, url, 1, options.probeS, 1);
    const capacity = await closedLoop(agent, url, 4, options.probeS, 2);
    log(
      `capacity ${capacity.rps.toFixed(1)} req/s (4 connections, closed loop); unloaded p99 ${percentile(unloaded.ms, 99).toFixed(2)} ms`,
    );
    const offered = capacity.rps * options.factor;
    const rss: number[] = [rssKb(server.pid) / 1024];
    const sampler = setInterval(() => rss.push(rssKb(server.pid) / 1024), 250);
    log(`open loop at ${offered.toFixed(0)} req/s (${options.factor}×) for ${options.durationS} s`);
    const pattern = options.pattern ?? PATTERN;
    const byLevel = await openLoop(agent, url, offered, options.durationS, pattern).finally(() =>
      clearInterval(sampler),
    );
    rss.push(rssKb(server.pid) / 1024);
    const health = await fetch(`${server.url}/v2/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    return {
      capacityRps: round(capacity.rps),
      offeredRps: round(offered),
      unloadedP50Ms: round(percentile(unloaded.ms, 50)),
      unloadedP99Ms: round(percentile(unloaded.ms, 99)),
      levels: PRIORITIES.filter((p) => pattern.includes(p)).map((p) => summarize(p, byLevel.get(p)!)),
      rssStartMb: round(rss[0]),
      rssMaxMb: round(Math.max(...rss)),
      rssEndMb: round(rss[rss.length - 1]),
      aliveAfter: server.alive(),
      healthAfter: health,
      shed: metricsLine ? await shedCounts(metricsLine) : {},
    };
  } finally {
    agent.destroy();
    await server.stop();
    rmSync(repo, { recursive: true, force: true });
  }
}
