/**
 * The lone caller: one connection, one request at a time, p50/p99 per model. inferd as configured by default
 * (inline execution on), inferd with inline execution off (every request hops to a worker thread and back) and
 * the naive peer (fastify + onnxruntime, or the tree evaluator, on the main thread) on digits, mlp_heavy and
 * breast_cancer_xgb, plus digits with `max_queue_delay_microseconds: 200` on inferd (against the naive peer's
 * digits: it has no queue). Runs alternate server order per repetition; medians over repetitions; ratios to naive.
 * Also the CPU inferd's process uses while idle after the runs (the queue-delay spin must stop with the load).
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceRows } from './bodies.js';
import { startService, type Service } from './children.js';
import { request } from './http-client.js';
import { DIST_BENCH, INFERD_CLI, MODELS_DIR, REPO_ROOT } from './paths.js';
import { cpuMicros } from './process-stats.js';
import { median } from './stats.js';
import { assertClean, runWrk } from './wrk.js';

export interface LoneCallerOptions {
  readonly tmpDir: string;
  readonly reps: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly log: (msg: string) => void;
}

type ServerName = 'inferd' | 'inferd_workers' | 'naive';

/** One measured cell: a server, the model it serves, the model the naive peer is compared on. */
interface Cell {
  readonly server: ServerName;
  readonly model: string;
  readonly bodies: string;
}

export interface LoneCallerRow {
  readonly model: string;
  /** What the row compares against the naive peer's model (digits for the delayed digits). */
  readonly naiveModel: string;
  readonly inferd: { p50Us: number; p99Us: number };
  readonly inferdWorkers: { p50Us: number; p99Us: number } | undefined;
  readonly naive: { p50Us: number; p99Us: number };
  readonly runs: number;
}

export interface LoneCallerResult {
  readonly rows: LoneCallerRow[];
  /** How each model runs lone requests on inferd, from its statistics. */
  readonly decisions: Record<string, string>;
  /** CPU inferd used per second of idleness after the runs (ms/s). */
  readonly idleCpuMsPerS: number;
  readonly durationS: number;
}

const DELAYED = 'digits_delay200';

/** A repository with the three models and digits with a 200 µs queue delay. */
function makeRepository(dir: string): void {
  for (const m of ['digits', 'mlp_heavy', 'breast_cancer_xgb'])
    cpSync(join(MODELS_DIR, m), join(dir, m), { recursive: true });
  mkdirSync(join(dir, DELAYED, '1'), { recursive: true });
  cpSync(join(MODELS_DIR, 'digits', '1', 'model.onnx'), join(dir, DELAYED, '1', 'model.onnx'));
  writeFileSync(
    join(dir, DELAYED, 'config.yaml'),
    'max_batch_size: 64\ndynamic_batching:\n  max_queue_delay_microseconds: 200\n',
  );
}

/** The breast-cancer reference rows without missing values (JSON has no NaN), one request each. */
function treeBodies(path: string): void {
  const file = join(REPO_ROOT, 'test/fixtures/xgboost/breast_cancer_binary/reference.json');
  const ref = JSON.parse(readFileSync(file, 'utf8')) as { inputs: Array<Array<number | null>> };
  const lines = ref.inputs
    .filter((r) => r.every((v) => v !== null))
    .map((row) => JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: row }] }));
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function digitsBodies(path: string): void {
  const lines = referenceRows().map((row) =>
    JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: row }] }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
}

async function startAll(o: LoneCallerOptions, repo: string): Promise<Record<ServerName, Service>> {
  const workersConfig = join(o.tmpDir, 'inline-off.yaml');
  writeFileSync(workersConfig, 'inline_execution: { enabled: false }\n');
  const inferdArgs = (extra: string[]) => [
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
    ...extra,
  ];
  const [inferd, inferdWorkers, naive] = await Promise.all([
    startService('inferd', process.execPath, inferdArgs([]), { cwd: REPO_ROOT }),
    startService('inferd (inline off)', process.execPath, inferdArgs(['--config', workersConfig]), { cwd: REPO_ROOT }),
    startService(
      'naive-peer',
      process.execPath,
      [join(DIST_BENCH, 'naive-peer.js'), '--model-repository', repo, '--trees', 'breast_cancer_xgb'],
      { cwd: REPO_ROOT },
    ),
  ]);
  return { inferd, inferd_workers: inferdWorkers, naive };
}

async function decisions(inferd: Service): Promise<Record<string, string>> {
  const r = await request(undefined, `${inferd.url}/v2/models/stats`, 'GET');
  const body = JSON.parse(r.body) as {
    model_stats: Array<{ name: string; inline_execution?: { decision: string; reason: string } }>;
  };
  return Object.fromEntries(
    body.model_stats.map((m) => [
      m.name,
      m.inline_execution ? `${m.inline_execution.decision} (${m.inline_execution.reason})` : '?',
    ]),
  );
}

/** Runs the lone-caller comparison; every server it starts is stopped before it returns. */
export async function runLoneCaller(o: LoneCallerOptions): Promise<LoneCallerResult> {
  const started = performance.now();
  const repo = join(o.tmpDir, 'lone-caller-models');
  makeRepository(repo);
  const digits = join(o.tmpDir, 'lone-digits.txt');
  const trees = join(o.tmpDir, 'lone-trees.txt');
  digitsBodies(digits);
  treeBodies(trees);
  const servers = await startAll(o, repo);
  try {
    const cells: Cell[] = [];
    for (const server of ['inferd', 'inferd_workers', 'naive'] as const) {
      cells.push({ server, model: 'digits', bodies: digits });
      cells.push({ server, model: 'mlp_heavy', bodies: digits });
      cells.push({ server, model: 'breast_cancer_xgb', bodies: trees });
      if (server !== 'naive') cells.push({ server, model: DELAYED, bodies: digits });
    }
    const measure = async (c: Cell, durationS: number) => {
      const s = servers[c.server];
      const r = await runWrk({
        url: `${s.url}/v2/models/${c.model}/infer`,
        connections: 1,
        durationS,
        bodiesFile: c.bodies,
      });
      assertClean(r, `${c.server}, ${c.model}, 1 connection`);
      return { p50Us: r.p50Us, p99Us: r.p99Us };
    };
    o.log('lone caller: warming up…');
    for (const c of cells) await measure(c, o.warmupS);
    const samples = new Map<string, Array<{ p50Us: number; p99Us: number }>>();
    for (let rep = 0; rep < o.reps; rep++) {
      // Per model, the servers one after the other, in the other order on odd repetitions.
      for (const model of ['digits', 'mlp_heavy', 'breast_cancer_xgb', DELAYED]) {
        const order = cells.filter((c) => c.model === model);
        if (rep % 2 === 1) order.reverse();
        for (const c of order) {
          const s = await measure(c, o.durationS);
          const key = `${c.server}|${c.model}`;
          samples.set(key, [...(samples.get(key) ?? []), s]);
          o.log(
            `lone caller ${rep + 1}/${o.reps} ${c.model.padEnd(17)} ${c.server.padEnd(14)} p50 ${(s.p50Us / 1000).toFixed(3)} ms p99 ${(s.p99Us / 1000).toFixed(3)} ms`,
          );
        }
      }
    }
    const med = (key: string) => {
      const list = samples.get(key);
      if (!list) return undefined;
      return { p50Us: median(list.map((s) => s.p50Us)), p99Us: median(list.map((s) => s.p99Us)) };
    };
    const rows: LoneCallerRow[] = ['digits', 'mlp_heavy', 'breast_cancer_xgb', DELAYED].map((model) => {
      const naiveModel = model === DELAYED ? 'digits' : model;
      return {
        model,
        naiveModel,
        inferd: med(`inferd|${model}`)!,
        inferdWorkers: med(`inferd_workers|${model}`),
        naive: med(`naive|${naiveModel}`)!,
        runs: o.reps,
      };
    });
    const decided = await decisions(servers.inferd);
    // Idle CPU: nothing is sent for 3 s; a queue-delay spin left running would show as hundreds of ms per second.
    const idleS = 3;
    const before = cpuMicros(servers.inferd.pid);
    await new Promise((r) => setTimeout(r, idleS * 1000));
    const idleCpuMsPerS = (cpuMicros(servers.inferd.pid) - before) / 1000 / idleS;
    return { rows, decisions: decided, idleCpuMsPerS, durationS: (performance.now() - started) / 1000 };
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}

const ms = (us: number) => (us / 1000).toFixed(3);

/** The targets of the lone caller: p50 ≤ 1.1× naive (digits, trees), ≤ 1.25× (mlp_heavy), ≤ naive + 0.25 ms (delay). */
export function loneCallerTargets(r: LoneCallerResult): Array<{ name: string; met: boolean; value: string }> {
  return r.rows.map((row) => {
    const ratio = row.inferd.p50Us / row.naive.p50Us;
    if (row.model === DELAYED) {
      const over = (row.inferd.p50Us - row.naive.p50Us) / 1000;
      return { name: `${row.model} p50 ≤ naive digits + 0.25 ms`, met: over <= 0.25, value: `+${over.toFixed(3)} ms` };
    }
    const limit = row.model === 'mlp_heavy' ? 1.25 : 1.1;
    return { name: `${row.model} p50 ≤ ${limit}× naive`, met: ratio <= limit, value: `${ratio.toFixed(2)}×` };
  });
}

export function renderLoneCaller(r: LoneCallerResult, plan: { reps: number; durationS: number }): string {
  const lines = [
    `### Lone caller (1 connection)`,
    '',
    `wrk, 1 connection, ${plan.durationS} s per run, ${plan.reps} runs per cell alternating server order; medians. ` +
      `inferd: default settings (inline execution on); inferd (inline off): \`inline_execution: { enabled: false }\`; ` +
      `naive: fastify + onnxruntime (trees: inferd's evaluator as a library) on the main thread. ` +
      `${DELAYED}: digits with \`max_queue_delay_microseconds: 200\`, compared with the naive peer's digits.`,
    '',
    '| model | inferd p50 / p99 (ms) | inferd inline off p50 / p99 | naive p50 / p99 | inferd / naive p50 |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const row of r.rows) {
    const off = row.inferdWorkers ? `${ms(row.inferdWorkers.p50Us)} / ${ms(row.inferdWorkers.p99Us)}` : '–';
    const naive = `${ms(row.naive.p50Us)} / ${ms(row.naive.p99Us)}${row.naiveModel !== row.model ? ` (${row.naiveModel})` : ''}`;
    lines.push(
      `| ${row.model} | ${ms(row.inferd.p50Us)} / ${ms(row.inferd.p99Us)} | ${off} | ${naive} | ${(row.inferd.p50Us / row.naive.p50Us).toFixed(2)}× |`,
    );
  }
  lines.push('', 'How inferd ran each model (its statistics): ');
  for (const [model, d] of Object.entries(r.decisions)) lines.push(`- ${model}: ${d}`);
  lines.push(
    '',
    `inferd's CPU while idle after the runs: ${r.idleCpuMsPerS.toFixed(1)} ms per second.`,
    '',
    'Targets:',
  );
  for (const t of loneCallerTargets(r)) lines.push(`- ${t.met ? 'met' : 'NOT met'}: ${t.name} (${t.value})`);
  return lines.join('\n');
}
