/**
 * Inference graphs against their members alone, on one inferd process (a child, driven by wrk):
 *
 * - throughput: a two-step chain against its slowest member alone, for a compute-bound chain (digits_clip →
 *   mlp_heavy) and a light one (scaler → logreg, where the request path is the cost);
 * - CPU per request over the whole process (every thread), from /proc across each wrk run: the graph against the
 *   sum of its members called one after the other by a client. The difference, per step, is what the graph adds
 *   (negative: it saves more, one HTTP exchange, than it spends);
 * - the strict per-step overhead, in-process (no HTTP at all): CPU of a chain request through the core against
 *   the CPU of its two members' requests through the same core, `process.cpuUsage` over many requests.
 *
 * Runs alternate graph and members (then the reverse), and each figure is the median of the runs.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inferd } from '../../src/inferd.js';
import type { InferenceRequest } from '../../src/inference/types.js';
import { startService, type Service } from '../children.js';
import { request } from '../http-client.js';
import { INFERD_CLI, MODELS_DIR, REPO_ROOT } from '../paths.js';
import { cpuMicros } from '../process-stats.js';
import { median } from '../stats.js';
import { assertClean, runWrk } from '../wrk.js';
import { referenceRows } from '../bodies.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'graphs');

export interface GraphBenchPlan {
  readonly reps: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  /** Requests per in-process measurement. */
  readonly inProcessRequests: number;
}

export const GRAPH_FULL: GraphBenchPlan = {
  reps: 9,
  durationS: 4,
  warmupS: 2,
  connections: 64,
  inProcessRequests: 20000,
};
export const GRAPH_QUICK: GraphBenchPlan = {
  reps: 3,
  durationS: 2,
  warmupS: 1,
  connections: 64,
  inProcessRequests: 5000,
};

interface Target {
  readonly model: string;
  readonly bodies: string;
}
interface Chain {
  readonly label: string;
  readonly graph: Target;
  readonly members: readonly Target[];
}
interface Run {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerReq: number;
}

export interface ChainResult {
  readonly label: string;
  readonly graph: Run;
  readonly members: ReadonlyArray<Run & { readonly model: string }>;
  /** Graph req/s over the slowest member's. */
  readonly throughputRatio: number;
  /** (graph CPU/req − Σ member CPU/req) / steps, µs. */
  readonly cpuPerStepUs: number;
  /** The slowest member's CPU/req over the graph's: the throughput ratio a machine short of CPU allows. */
  readonly cpuRatio: number;
}

export interface InProcessResult {
  readonly graphCpuUs: number;
  readonly membersCpuUs: readonly number[];
  readonly perStepUs: number;
}

export interface GraphBenchResult {
  readonly plan: GraphBenchPlan;
  readonly chains: readonly ChainResult[];
  readonly inProcess: InProcessResult;
}

/** A repository of the light chain (test fixtures), the heavy one (bench fixtures and models/mlp_heavy). */
function buildRepository(dir: string): void {
  const copy = (from: string, name: string) => cpSync(from, join(dir, name), { recursive: true });
  for (const m of ['scaler', 'logreg', 'bc_chain']) copy(join(FIXTURES, 'repo', m), m);
  for (const m of ['digits_clip', 'heavy_chain']) copy(join(FIXTURES, 'bench', m), m);
  copy(join(MODELS_DIR, 'mlp_heavy'), 'mlp_heavy');
}

/** The breast-cancer rows the graph tests send (test/fixtures/graphs/rows.json). */
function benchRows(): number[][] {
  return (JSON.parse(readFileSync(join(FIXTURES, 'rows.json'), 'utf8')) as { rows: number[][] }).rows;
}

function body(name: string, rows: readonly number[]): string {
  return JSON.stringify({ inputs: [{ name, datatype: 'FP32', shape: [1, rows.length], data: rows }] });
}

/** Bodies files for every target: the light chain's rows (and their scaled form, for logreg), digits rows. */
async function writeBodies(dir: string, url: string): Promise<{ light: Chain; heavy: Chain }> {
  const rows = benchRows();
  const scaled: number[][] = [];
  for (const row of rows) {
    const r = await request(undefined, `${url}/v2/models/scaler/infer`, 'POST', body('raw', row));
    if (r.status !== 200) throw new Error(`scaler answered ${r.status}: ${r.body.slice(0, 200)}`);
    scaled.push((JSON.parse(r.body) as { outputs: Array<{ data: number[] }> }).outputs[0].data);
  }
  const file = (name: string, bodies: string[]) => {
    const path = join(dir, `${name}.txt`);
    writeFileSync(path, `${bodies.join('\n')}\n`);
    return path;
  };
  const raw = file(
    'raw',
    rows.map((r) => body('raw', r)),
  );
  const digits = file(
    'digits',
    referenceRows().map((r) => body('input', r)),
  );
  return {
    light: {
      label: 'scaler → logreg (light)',
      graph: { model: 'bc_chain', bodies: raw },
      members: [
        { model: 'scaler', bodies: raw },
        {
          model: 'logreg',
          bodies: file(
            'scaled',
            scaled.map((r) => body('features', r)),
          ),
        },
      ],
    },
    heavy: {
      label: 'digits_clip → mlp_heavy (compute-bound)',
      graph: { model: 'heavy_chain', bodies: digits },
      members: [
        { model: 'digits_clip', bodies: digits },
        { model: 'mlp_heavy', bodies: digits },
      ],
    },
  };
}

async function measure(server: Service, t: Target, plan: GraphBenchPlan, durationS: number): Promise<Run> {
  const before = cpuMicros(server.pid);
  const r = await runWrk({
    url: `${server.url}/v2/models/${t.model}/infer`,
    connections: plan.connections,
    durationS,
    bodiesFile: t.bodies,
  });
  const cpu = cpuMicros(server.pid) - before;
  assertClean(r, t.model);
  return { rps: r.rps, p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000, cpuUsPerReq: cpu / r.requests };
}

const medianRun = (runs: readonly Run[]): Run => ({
  rps: median(runs.map((r) => r.rps)),
  p50Ms: median(runs.map((r) => r.p50Ms)),
  p99Ms: median(runs.map((r) => r.p99Ms)),
  cpuUsPerReq: median(runs.map((r) => r.cpuUsPerReq)),
});

async function measureChain(
  server: Service,
  chain: Chain,
  plan: GraphBenchPlan,
  log: (s: string) => void,
): Promise<ChainResult> {
  const all = [chain.graph, ...chain.members];
  for (const t of all) await measure(server, t, plan, plan.warmupS);
  const runs = new Map<string, Run[]>(all.map((t) => [t.model, []]));
  for (let rep = 0; rep < plan.reps; rep++) {
    const order = rep % 2 === 0 ? all : [...all].reverse();
    for (const t of order) {
      const r = await measure(server, t, plan, plan.durationS);
      runs.get(t.model)!.push(r);
      log(
        `graphs ${rep + 1}/${plan.reps} ${t.model.padEnd(12)} ${Math.round(r.rps)} req/s p50 ${r.p50Ms.toFixed(2)} ms ${Math.round(r.cpuUsPerReq)} µs CPU/req`,
      );
    }
  }
  const graph = medianRun(runs.get(chain.graph.model)!);
  const members = chain.members.map((m) => ({ model: m.model, ...medianRun(runs.get(m.model)!) }));
  // Ratios from the runs side by side (rep by rep), then their median: drift in machine load cancels within a rep.
  const perRep = (rep: number) => {
    const g = runs.get(chain.graph.model)![rep];
    const ms = chain.members.map((m) => runs.get(m.model)![rep]);
    const slowest = ms.reduce((a, b) => (b.rps < a.rps ? b : a));
    return {
      ratio: g.rps / slowest.rps,
      step: (g.cpuUsPerReq - ms.reduce((n, m) => n + m.cpuUsPerReq, 0)) / ms.length,
      cpu: slowest.cpuUsPerReq / g.cpuUsPerReq,
    };
  };
  const reps = Array.from({ length: plan.reps }, (_, i) => perRep(i));
  return {
    label: chain.label,
    graph,
    members,
    throughputRatio: median(reps.map((r) => r.ratio)),
    cpuPerStepUs: median(reps.map((r) => r.step)),
    cpuRatio: median(reps.map((r) => r.cpu)),
  };
}

/** CPU (µs, whole process) per request of `model`, `count` requests 16 at a time through the in-process core. */
async function inProcessCpu(core: Inferd, model: string, make: (i: number) => InferenceRequest, count: number) {
  let next = 0;
  const worker = async () => {
    while (next < count) await core.infer(make(next++));
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: 16 }, worker));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

async function measureInProcess(repo: string, plan: GraphBenchPlan, log: (s: string) => void) {
  const core = await Inferd.create({ modelRepository: repo });
  try {
    const rows = benchRows();
    const req = (model: string, name: string, data: readonly number[][]) => (i: number) => ({
      model,
      inputs: [{ name, datatype: 'FP32' as const, shape: [1, 30], data: Float32Array.from(data[i % data.length]) }],
    });
    const scaled = await Promise.all(
      rows.map(async (_, i) => [
        ...((await core.infer(req('scaler', 'raw', rows)(i))).outputs[0].data as Float32Array),
      ]),
    );
    const targets = [
      { model: 'bc_chain', make: req('bc_chain', 'raw', rows) },
      { model: 'scaler', make: req('scaler', 'raw', rows) },
      { model: 'logreg', make: req('logreg', 'features', scaled) },
    ];
    for (const t of targets) await inProcessCpu(core, t.model, t.make, plan.inProcessRequests / 4);
    const cpu = new Map<string, number[]>(targets.map((t) => [t.model, []]));
    for (let rep = 0; rep < plan.reps; rep++) {
      for (const t of rep % 2 === 0 ? targets : [...targets].reverse()) {
        const us = await inProcessCpu(core, t.model, t.make, plan.inProcessRequests);
        cpu.get(t.model)!.push(us);
        log(`graphs in-process ${rep + 1}/${plan.reps} ${t.model.padEnd(8)} ${us.toFixed(1)} µs CPU/req`);
      }
    }
    const perRep = Array.from(
      { length: plan.reps },
      (_, i) => (cpu.get('bc_chain')![i] - cpu.get('scaler')![i] - cpu.get('logreg')![i]) / 2,
    );
    return {
      graphCpuUs: median(cpu.get('bc_chain')!),
      membersCpuUs: [median(cpu.get('scaler')!), median(cpu.get('logreg')!)],
      perStepUs: median(perRep),
    };
  } finally {
    await core.stop();
  }
}

/** Runs the graph section; `tmp` is a scratch folder the caller removes. */
export async function runGraphBench(o: {
  readonly plan: GraphBenchPlan;
  readonly tmp: string;
  readonly log: (s: string) => void;
}): Promise<GraphBenchResult> {
  const repo = join(o.tmp, 'graph-repo');
  mkdirSync(repo, { recursive: true });
  buildRepository(repo);
  o.log('graphs: starting inferd on the graph repository…');
  const server = await startService('inferd-graphs', process.execPath, [
    INFERD_CLI,
    'serve',
    '--model-repository',
    repo,
    '--http-port',
    '0',
    '--grpc-port',
    '-1',
    '--metrics-port',
    '-1',
    '--log-level',
    'info',
  ]);
  let chains: ChainResult[];
  try {
    const { light, heavy } = await writeBodies(o.tmp, server.url);
    chains = [await measureChain(server, heavy, o.plan, o.log), await measureChain(server, light, o.plan, o.log)];
  } finally {
    await server.stop();
  }
  const inProcess = await measureInProcess(repo, o.plan, o.log);
  return { plan: o.plan, chains, inProcess };
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');

/** The section BENCHMARKS.md gets. */
export function renderGraphBench(r: GraphBenchResult, machine: string, stamp: string): string {
  const lines = [
    `## Inference graphs against their members alone — ${stamp}`,
    '',
    `${machine}. One inferd process, wrk at ${r.plan.connections} connections, ${r.plan.reps} runs of ${r.plan.durationS} s per cell alternating graph and members; medians. CPU is the whole process (every thread, compute included) per request.`,
    '',
    '| chain | target | req/s | p50 ms | p99 ms | CPU µs/req |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const c of r.chains) {
    lines.push(
      `| ${c.label} | graph | ${f0(c.graph.rps)} | ${c.graph.p50Ms.toFixed(2)} | ${c.graph.p99Ms.toFixed(2)} | ${f0(c.graph.cpuUsPerReq)} |`,
    );
    for (const m of c.members)
      lines.push(
        `| | ${m.model} alone | ${f0(m.rps)} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${f0(m.cpuUsPerReq)} |`,
      );
  }
  lines.push(
    '',
    '| chain | graph req/s ÷ slowest member alone (≥ 0.9×) | slowest member CPU/req ÷ graph CPU/req | (graph − Σ members) CPU per step, HTTP |',
  );
  lines.push('| --- | ---: | ---: | ---: |');
  for (const c of r.chains)
    lines.push(
      `| ${c.label} | ${c.throughputRatio.toFixed(2)}× ${c.throughputRatio >= 0.9 ? '✅' : '❌'} | ${c.cpuRatio.toFixed(2)} | ${c.cpuPerStepUs.toFixed(0)} µs |`,
    );
  lines.push('', 'Ratios are taken run by run (graph and members measured back to back), then their median.');
  const p = r.inProcess;
  lines.push(
    '',
    `In-process (no HTTP; ${f0(r.plan.inProcessRequests)} requests, 16 in flight, per cell): bc_chain ${p.graphCpuUs.toFixed(1)} µs CPU/req, scaler ${p.membersCpuUs[0].toFixed(1)}, logreg ${p.membersCpuUs[1].toFixed(1)}: the graph adds **${p.perStepUs.toFixed(1)} µs per step** (target ≤ 20 µs ${p.perStepUs <= 20 ? '✅' : '❌'}): its own request (validation, queue, answer) and the executor, shared over its two steps.`,
  );
  return `${lines.join('\n')}\n`;
}
