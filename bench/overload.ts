/**
 * Overload: drives a second inferd, serving a copy of digits with max_queue_size 64, with 4× the 64 connections
 * that saturate it. Reports whether it stayed up, its 503s and how fast they came, RSS, and the latency of
 * admitted requests (from a probe riding along the flood) against its unloaded p99.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { startService } from './children.js';
import { request } from './http-client.js';
import { INFERD_CLI, MODELS_DIR, REPO_ROOT } from './paths.js';
import { cpuMicros, peakRssKb, rssKb } from './process-stats.js';
import { percentile } from './stats.js';
import { assertClean, runWrk, type WrkResult } from './wrk.js';

export const OVERLOAD_QUEUE_SIZE = 64;
const SATURATING_CONNECTIONS = 64;
const FLOOD_CONNECTIONS = 4 * SATURATING_CONNECTIONS;
const PROBE_CONCURRENCY = 4;

export interface LatencySummary {
  readonly count: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

export interface OverloadResult {
  readonly connections: number;
  readonly durationS: number;
  readonly maxQueueSize: number;
  /** req/s at 64 connections before the flood. */
  readonly capacityRps: number;
  readonly unloaded: { readonly p50Us: number; readonly p99Us: number };
  readonly flood: WrkResult;
  readonly cpuUsPerResponse: number;
  readonly probe: { readonly admitted: LatencySummary; readonly rejected: LatencySummary; readonly other: number };
  readonly rssBeforeKb: number;
  readonly rssAfterKb: number;
  readonly peakRssKb: number;
  readonly aliveAfter: boolean;
  readonly healthAfter: number;
  readonly after: { readonly p50Us: number; readonly p99Us: number };
}

function overloadRepository(dir: string): string {
  const root = join(dir, 'overload-models');
  mkdirSync(join(root, 'digits', '1'), { recursive: true });
  copyFileSync(join(MODELS_DIR, 'digits', '1', 'model.onnx'), join(root, 'digits', '1', 'model.onnx'));
  writeFileSync(
    join(root, 'digits', 'config.yaml'),
    `# digits with a short queue, for the overload scenario\nmax_batch_size: 64\ndynamic_batching:\n  max_queue_delay_microseconds: 500\n  max_queue_size: ${OVERLOAD_QUEUE_SIZE}\n`,
  );
  return root;
}

function summarize(us: number[]): LatencySummary {
  return { count: us.length, p50Us: percentile(us, 50), p99Us: percentile(us, 99) };
}

/** Sequential requests on a few keep-alive connections until `untilMs`; the latency of each by status. */
async function probe(url: string, bodies: readonly string[], untilMs: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: PROBE_CONCURRENCY });
  const admitted: number[] = [];
  const rejected: number[] = [];
  let other = 0;
  const loop = async (offset: number) => {
    for (let i = offset; Date.now() < untilMs; i++) {
      try {
        const r = await request(agent, url, 'POST', bodies[i % bodies.length]);
        if (r.status === 200) admitted.push(r.us);
        else if (r.status === 503) rejected.push(r.us);
        else other++;
      } catch {
        other++;
      }
    }
  };
  await Promise.all(Array.from({ length: PROBE_CONCURRENCY }, (_, k) => loop(k * 5)));
  agent.destroy();
  return { admitted: summarize(admitted), rejected: summarize(rejected), other };
}

export async function runOverload(o: {
  tmpDir: string;
  bodiesFile: string;
  bodies: readonly string[];
  durationS: number;
  shortS: number;
}): Promise<OverloadResult> {
  const repo = overloadRepository(o.tmpDir);
  const server = await startService(
    'inferd (overload)',
    process.execPath,
    [INFERD_CLI, 'serve', '--model-repository', repo, '--http-port', '0', '--log-level', 'info'],
    { cwd: REPO_ROOT },
  );
  try {
    const url = `${server.url}/v2/models/digits/infer`;
    const base = { url, bodiesFile: o.bodiesFile };
    await runWrk({ ...base, connections: 8, durationS: o.shortS });
    const unloaded = await runWrk({ ...base, connections: 1, durationS: o.shortS });
    assertClean(unloaded, 'overload server, unloaded');
    const capacity = await runWrk({ ...base, connections: SATURATING_CONNECTIONS, durationS: o.shortS });
    assertClean(capacity, 'overload server, 64 connections');

    const rssBeforeKb = rssKb(server.pid);
    const cpuBefore = cpuMicros(server.pid);
    const flood = runWrk({
      ...base,
      connections: FLOOD_CONNECTIONS,
      threads: 2,
      durationS: o.durationS,
      countStatus: true,
    });
    // The probe rides inside the flood, leaving its first and last half second out.
    await new Promise((r) => setTimeout(r, 500));
    const probed = await probe(url, o.bodies, Date.now() + o.durationS * 1000 - 1000);
    const floodResult = await flood;
    const cpuUs = cpuMicros(server.pid) - cpuBefore;
    const aliveAfter = server.alive();
    if (floodResult.status && floodResult.status.other > 0) {
      throw new Error(`overload: inferd answered ${floodResult.status.other} responses that were neither 2xx nor 503`);
    }
    const healthAfter = aliveAfter
      ? (await request(undefined, `${server.url}/v2/health/live`, 'GET').catch(() => ({ status: 0 }))).status
      : 0;
    const rssAfterKb = aliveAfter ? rssKb(server.pid) : NaN;
    const peak = aliveAfter ? peakRssKb(server.pid) : NaN;
    const after = aliveAfter ? await runWrk({ ...base, connections: 1, durationS: o.shortS }) : undefined;
    return {
      connections: FLOOD_CONNECTIONS,
      durationS: o.durationS,
      maxQueueSize: OVERLOAD_QUEUE_SIZE,
      capacityRps: capacity.rps,
      unloaded: { p50Us: unloaded.p50Us, p99Us: unloaded.p99Us },
      flood: floodResult,
      cpuUsPerResponse: cpuUs / Math.max(1, floodResult.requests),
      probe: probed,
      rssBeforeKb,
      rssAfterKb,
      peakRssKb: peak,
      aliveAfter,
      healthAfter,
      after: { p50Us: after?.p50Us ?? NaN, p99Us: after?.p99Us ?? NaN },
    };
  } finally {
    await server.stop();
  }
}
