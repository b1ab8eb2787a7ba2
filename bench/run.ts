/**
 * The benchmark harness: `npm run bench` (full) or `npm run bench -- --quick`.
 *
 * Starts inferd, the naive peer and the HTTP limit as separate processes, measures the compute limit, drives each
 * server with wrk at 1, 8 and 64 connections for both models, probes batching and overload, then prints a
 * markdown report and appends it to BENCHMARKS.md. On the same inferd process it also compares transports at 64 in
 * flight (JSON HTTP, binary HTTP, gRPC; see transports.ts). Every child is killed on exit, error or SIGINT.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureBatching, type BatchingResult } from './batching.js';
import { referenceLabels, writeBodiesFile } from './bodies.js';
import { installCleanup, startService, type Service } from './children.js';
import { measureComputeLimit } from './compute-limit.js';
import { request } from './http-client.js';
import { loadAverage, machineInfo } from './machine.js';
import { runOverload, type OverloadResult } from './overload.js';
import { DIST_BENCH, INFERD_CLI, REPO_ROOT } from './paths.js';
import { cpuMicros } from './process-stats.js';
import { appendToBenchmarks, evaluateTargets, renderReport, summarize, type Row, type Sample } from './report.js';
import { renderLifecycleIsolation, runLifecycleIsolation } from './lifecycle-isolation.js';
import { runOverloadScenario } from './priority-load.js';
import type { PriorityOverloadRun } from './priority-report.js';
import { evaluateTransports, runTransports, type TransportResult, type Workload } from './transports.js';
import { assertClean, runWrk } from './wrk.js';
import { loneCallerTargets, renderLoneCaller, runLoneCaller, type LoneCallerResult } from './lone-caller.js';

const MODELS = ['digits', 'mlp_heavy'] as const;
const CONNECTIONS = [1, 8, 64] as const;
const TRANSPORT_CONNS = 64;
/** Transport workloads: both models one row per request, and the compute-heavy one scoring 32 rows per request. */
const TRANSPORT_WORKLOADS: readonly Workload[] = [
  { model: 'digits', rowsPerRequest: 1 },
  { model: 'mlp_heavy', rowsPerRequest: 1 },
  { model: 'mlp_heavy', rowsPerRequest: 32 },
];

interface Plan {
  readonly mode: 'full' | 'quick';
  readonly reps: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly computeMs: number;
  readonly batchingS: number;
  readonly overloadS: number;
  readonly shortS: number;
  /** Per transport-comparison cell. */
  readonly transportS: number;
  /**
   * Runs per transport cell, alternating the order: the differences between transports on the compute-heavy model
   * (a few per cent of CPU) are smaller than one run's noise on a shared machine, so the median needs more runs.
   */
  readonly transportReps: number;
  /** The 3× overload with priorities. */
  readonly priorityOverloadS: number;
  /** Hard limit on the whole run. */
  readonly watchdogS: number;
}

const FULL: Plan = {
  mode: 'full',
  reps: 3,
  durationS: 10,
  warmupS: 3,
  computeMs: 2000,
  batchingS: 3,
  overloadS: 20,
  shortS: 3,
  transportS: 10,
  transportReps: 5,
  priorityOverloadS: 30,
  watchdogS: 40 * 60,
};
const QUICK: Plan = {
  mode: 'quick',
  reps: 1,
  durationS: 3,
  warmupS: 1,
  computeMs: 500,
  batchingS: 2,
  overloadS: 5,
  shortS: 2,
  transportS: 3,
  transportReps: 1,
  priorityOverloadS: 5,
  watchdogS: 235, // the lone-caller section takes about a minute of it
};

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

type ServerName = 'inferd' | 'naive' | 'http';

async function checkAnswers(servers: Record<ServerName, Service>, bodies: readonly string[]): Promise<void> {
  const labels = referenceLabels();
  for (const model of MODELS) {
    for (let i = 0; i < 4; i++) {
      const got: Partial<Record<ServerName, number>> = {};
      for (const name of ['inferd', 'naive', 'http'] as const) {
        const r = await request(undefined, `${servers[name].url}/v2/models/${model}/infer`, 'POST', bodies[i]);
        if (r.status !== 200)
          throw new Error(`${name} answered ${r.status} for ${model} row ${i}: ${r.body.slice(0, 300)}`);
        const body = JSON.parse(r.body) as { outputs?: Array<{ name: string; shape: number[]; data: number[] }> };
        const logits = body.outputs?.find((o) => o.name === 'logits');
        const label = body.outputs?.find((o) => o.name === 'label');
        if (!logits || logits.shape.join() !== '1,10' || !label)
          throw new Error(`${name}: unexpected ${model} response ${r.body.slice(0, 300)}`);
        got[name] = label.data[0];
      }
      if (got.inferd !== got.naive)
        throw new Error(`${model} row ${i}: inferd says ${got.inferd}, naive says ${got.naive}`);
      if (model === 'digits' && got.inferd !== labels[i])
        throw new Error(`digits row ${i}: inferd says ${got.inferd}, reference ${labels[i]}`);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'no-overload': { type: 'boolean', default: false },
      /** For A/B runs: the repository inferd serves (the naive peer always loads models/). */
      'model-repository': { type: 'string', default: 'models' },
      /** Print the report without appending it to BENCHMARKS.md. */
      'no-append': { type: 'boolean', default: false },
    },
  });
  const inferdModels = values['model-repository'];
  const plan = values.quick ? QUICK : FULL;
  const started = performance.now();
  const tmp = mkdtempSync(join(tmpdir(), 'inferd-bench-'));
  installCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  setTimeout(() => {
    log(`watchdog: the run passed ${plan.watchdogS} s; stopping`);
    process.exit(1);
  }, plan.watchdogS * 1000).unref();

  const machine = machineInfo();
  const loadStart = loadAverage();
  const bodiesFile = join(tmp, 'bodies.txt');
  const bodies = writeBodiesFile(bodiesFile);
  log(`${plan.mode} mode · ${machine.cpuModel}, ${machine.cores} cores · load ${loadStart}`);

  log('compute limit (in-process onnxruntime)…');
  const compute = await measureComputeLimit(plan.computeMs);

  log('starting inferd, naive peer and HTTP limit…');
  const [inferd, naive, http] = await Promise.all([
    startService(
      'inferd',
      process.execPath,
      [
        INFERD_CLI,
        'serve',
        '--model-repository',
        inferdModels,
        '--http-port',
        '0',
        '--grpc-port',
        '0',
        '--log-level',
        'info',
      ],
      { cwd: REPO_ROOT },
    ),
    startService('naive-peer', process.execPath, [join(DIST_BENCH, 'naive-peer.js'), '--model-repository', 'models'], {
      cwd: REPO_ROOT,
    }),
    startService('http-limit', process.execPath, [join(DIST_BENCH, 'http-limit.js')], { cwd: REPO_ROOT }),
  ]);
  const servers: Record<ServerName, Service> = { inferd, naive, http };
  await checkAnswers(servers, bodies);

  const measure = async (name: ServerName, model: string, conns: number, durationS: number): Promise<Sample> => {
    const s = servers[name];
    const dead = (when: string) =>
      new Error(`${s.name} is gone ${when} (${s.exitStatus()}); its last output:\n${s.tail()}`);
    if (!s.alive()) throw dead(`before ${model} at ${conns} connections`);
    const before = cpuMicros(s.pid);
    const r = await runWrk({ url: `${s.url}/v2/models/${model}/infer`, connections: conns, durationS, bodiesFile });
    if (!s.alive()) throw dead(`after ${model} at ${conns} connections`);
    const cpuUs = cpuMicros(s.pid) - before;
    assertClean(r, `${s.name}, ${model}, ${conns} connections`);
    return { rps: r.rps, p50Us: r.p50Us, p99Us: r.p99Us, cpuUsPerReq: cpuUs / r.requests };
  };

  log('warming up…');
  for (const model of MODELS)
    for (const name of ['inferd', 'naive'] as const) await measure(name, model, 8, plan.warmupS);
  await measure('http', 'digits', 8, plan.warmupS);

  const samples = new Map<string, Sample[]>();
  const add = (key: string, s: Sample) => samples.set(key, [...(samples.get(key) ?? []), s]);
  for (let rep = 0; rep < plan.reps; rep++) {
    for (const model of MODELS) {
      for (const conns of CONNECTIONS) {
        // The HTTP limit does not depend on the model: measured with the digits rows, shown for both.
        const order: ServerName[] = model === 'digits' ? ['inferd', 'naive', 'http'] : ['inferd', 'naive'];
        if (rep % 2 === 1) order.reverse();
        for (const name of order) {
          const s = await measure(name, model, conns, plan.durationS);
          add(`${name}|${name === 'http' ? 'any' : model}|${conns}`, s);
          log(
            `run ${rep + 1}/${plan.reps} ${model} ${String(conns).padStart(2)}c ${name.padEnd(6)} ${Math.round(s.rps)} req/s p50 ${(s.p50Us / 1000).toFixed(2)} ms p99 ${(s.p99Us / 1000).toFixed(2)} ms ${Math.round(s.cpuUsPerReq)} µs CPU/inf`,
          );
        }
      }
    }
  }
  await Promise.all([naive.stop(), http.stop()]);

  log(`transports (${TRANSPORT_CONNS} in flight, same inferd): JSON HTTP, binary HTTP, gRPC…`);
  const transports: TransportResult = await runTransports({
    inferd,
    workloads: TRANSPORT_WORKLOADS,
    conns: TRANSPORT_CONNS,
    reps: plan.transportReps,
    durationS: plan.transportS,
    warmupS: plan.warmupS,
    tmpDir: tmp,
    log,
  });
  await inferd.stop();

  const rows: Row[] = [];
  for (const model of MODELS) {
    for (const conns of CONNECTIONS) {
      const get = (key: string) => summarize(samples.get(key) ?? []);
      rows.push({
        model,
        conns,
        inferd: get(`inferd|${model}|${conns}`),
        naive: get(`naive|${model}|${conns}`),
        http: get(`http|any|${conns}`),
        compute: compute.find((c) => c.model === model && c.batch === Math.min(conns, 64)),
      });
    }
  }

  // The lone caller: servers of its own (inferd with inline execution on and off, the naive peer with trees).
  log('lone caller (1 connection)…');
  const lonePlan = { reps: plan.reps, durationS: Math.max(2, Math.round(plan.durationS / 2)) };
  const lone: LoneCallerResult = await runLoneCaller({ tmpDir: tmp, ...lonePlan, warmupS: plan.warmupS, log });

  log('batching probe…');
  let batching: BatchingResult | undefined;
  try {
    batching = await measureBatching({
      modelRepository: inferdModels,
      bodiesFile,
      durationS: plan.batchingS,
      models: MODELS,
      conns: [8, 64],
    });
  } catch (err) {
    batching = { rows: [], error: (err as Error).message.split('\n')[0] };
  }

  let overload: OverloadResult | undefined;
  if (!values['no-overload']) {
    log(`overload (${plan.overloadS} s)…`);
    overload = await runOverload({ tmpDir: tmp, bodiesFile, bodies, durationS: plan.overloadS, shortS: plan.shortS });
  }

  let openOverload: PriorityOverloadRun | undefined;
  if (!values['no-overload']) {
    const factor = 4;
    log(`overload at ${factor}× capacity, open loop (${plan.overloadS} s)…`);
    const result = await runOverloadScenario({
      factor,
      durationS: plan.overloadS,
      probeS: plan.shortS,
      log,
      pattern: [2],
    });
    openOverload = { factor, durationS: plan.overloadS, result };
  }

  let priorityOverload: PriorityOverloadRun | undefined;
  if (!values['no-overload']) {
    const factor = 3;
    log(`overload with priorities (${factor}×, ${plan.priorityOverloadS} s)…`);
    const result = await runOverloadScenario({ factor, durationS: plan.priorityOverloadS, probeS: plan.shortS, log });
    priorityOverload = { factor, durationS: plan.priorityOverloadS, result };
  }

  let lifecycle: string | undefined;
  if (plan.mode === 'full') {
    log('load/unload isolation (50 cycles, default and glibc environments)…');
    lifecycle = renderLifecycleIsolation(await runLifecycleIsolation({ cycles: 50, ratePerS: 500, log }));
  }

  const markdown = renderReport({
    machine,
    mode: plan.mode,
    inferdModels,
    reps: plan.reps,
    durationS: plan.durationS,
    loadStart,
    loadEnd: loadAverage(),
    rows,
    compute,
    batching,
    overload,
    openOverload,
    priorityOverload,
    lifecycle,
    transports,
    elapsedS: (performance.now() - started) / 1000,
  });
  const report = `${markdown}\n\n${renderLoneCaller(lone, lonePlan)}\n`;
  process.stdout.write(`\n${report}\n`);
  if (!values['no-append']) appendToBenchmarks(report);
  const loneTargets = loneCallerTargets(lone);
  log(`${loneTargets.filter((t) => t.met).length}/${loneTargets.length} lone-caller targets met`);
  const verdicts = evaluateTransports(transports);
  log(
    `${values['no-append'] ? 'not appended' : 'appended to BENCHMARKS.md'}; ${evaluateTargets(rows).filter((t) => t.met).length}/${evaluateTargets(rows).length} targets met; ` +
      `transport requirement met in ${verdicts.filter((v) => v.met).length}/${verdicts.length} comparisons; transport answers ${transports.check.ok ? 'agree' : 'DISAGREE'}`,
  );
  if (overload && !overload.aliveAfter) throw new Error('inferd died under overload');
  if (openOverload && !openOverload.result.aliveAfter) throw new Error('inferd died under the open-loop overload');
  if (priorityOverload && !priorityOverload.result.aliveAfter)
    throw new Error('inferd died under overload with priorities');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`FAILED: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
