/**
 * `npm run bench:cold-start [-- --runs 10] [--cli <build>/dist/src/cli/inferd.js] [--baseline-cli <other build>]
 * [--no-report]`: how long a new replica takes from process start to ready, against the naive peer
 * (bench/naive-peer.ts: fastify + onnxruntime-node) loading the same model; with --baseline-cli, another build of
 * inferd (e.g. before a change) takes its turn in every round too.
 *
 * Each run copies models/digits alone into a fresh temporary repository (a new replica has no state yet), spawns
 * the server on spare ports (inferd with its default HTTP, gRPC and metrics listeners) and polls
 * GET /v2/health/ready every 2 ms until it answers 200: the time from spawn() to that answer is the cold start.
 * inferd and the naive peer (and the baseline) take turns, the order rotating every round, so drift of a shared
 * machine falls on all of them; one untimed round first fills the file cache. Reports medians and min–max, the ratio of the medians, the
 * median of the per-pair ratios, and where inferd's time went: the `startup_phases_ms` of its "listening" log
 * line (each step's end in ms since its process started) and the model's load_ms / warmup_ms. Appends the tables
 * to BENCHMARKS.md unless --no-report.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { installCleanup } from './children.js';
import { gitCommit, loadAverage } from './machine.js';
import { DIST_BENCH, INFERD_CLI, MODELS_DIR, REPO_ROOT } from './paths.js';
import { appendToBenchmarks } from './report.js';
import { median } from './stats.js';

/** Issue #18: a new replica must be ready within this multiple of the naive peer's time, for a small model. */
const TARGET_RATIO = 1.5;
const POLL_MS = 2;
const READY_TIMEOUT_MS = 60_000;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    cli: { type: 'string', default: INFERD_CLI },
    'baseline-cli': { type: 'string' },
    model: { type: 'string', default: 'digits' },
    'no-report': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const model = values.model;
const scratch = mkdtempSync(join(tmpdir(), 'inferd-cold-start-'));
installCleanup(() => rmSync(scratch, { recursive: true, force: true }));

/** A port that was free a moment ago (the servers need it known in advance, to poll before they log it). */
async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One GET of the readiness endpoint: its status code, or 0 when nothing answered (not listening yet). */
function readyStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/v2/health/ready', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

interface Run {
  readonly ms: number;
  /** inferd only: startup_phases_ms of its "listening" line, and the model's load and warm-up. */
  readonly phases?: Record<string, number> | undefined;
  readonly loadMs?: number | undefined;
  readonly warmupMs?: number | undefined;
}

let repoCount = 0;
/** A fresh repository holding only the model (inferd writes its rollout store beside it). */
function freshRepository(): string {
  const dir = join(scratch, `repo-${++repoCount}`);
  cpSync(join(MODELS_DIR, model), join(dir, model), { recursive: true });
  return dir;
}

type Kind = 'inferd' | 'baseline' | 'naive';

async function coldStart(kind: Kind): Promise<Run> {
  const repo = freshRepository();
  const [http, grpc, metrics] = [await sparePort(), await sparePort(), await sparePort()];
  const cli = kind === 'baseline' ? values['baseline-cli']! : values.cli;
  const args =
    kind === 'naive'
      ? [join(DIST_BENCH, 'naive-peer.js'), '--model-repository', repo, '--port', `${http}`, '--models', model]
      : [cli, 'serve', '--model-repository', repo, '--http-port', `${http}`, '--grpc-port', `${grpc}`];
  if (kind !== 'naive') args.push('--metrics-port', `${metrics}`);
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  let listening: ((line: string) => void) | undefined;
  const listened = new Promise<string>((resolve) => (listening = resolve));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 60) lines.shift();
      if (line.includes('"startup_phases_ms"') || line.includes('listening on')) listening?.(line);
    });
  }
  let ms: number | undefined;
  while (ms === undefined) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${kind} exited before it was ready:\n${lines.join('\n')}`);
    if (performance.now() - started > READY_TIMEOUT_MS)
      throw new Error(`${kind} not ready within ${READY_TIMEOUT_MS} ms:\n${lines.join('\n')}`);
    if ((await readyStatus(http)) === 200) ms = performance.now() - started;
    else await sleep(POLL_MS);
  }
  let run: Run = { ms };
  if (kind !== 'naive') {
    // The line comes once every listener is up (gRPC and metrics bind after HTTP); wait for it, bounded.
    const line = await Promise.race([listened, sleep(20_000).then(() => undefined)]);
    const parse = (text: string | undefined) => {
      try {
        return text?.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    };
    const loaded = lines.map(parse).find((l) => l?.load_ms !== undefined && l.event === undefined);
    run = {
      ms,
      phases: parse(line)?.startup_phases_ms as Record<string, number> | undefined,
      loadMs: loaded?.load_ms as number | undefined,
      warmupMs: loaded?.warmup_ms as number | undefined,
    };
  }
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
  rmSync(repo, { recursive: true, force: true });
  return run;
}

const loadStart = loadAverage();
const kinds: Kind[] = values['baseline-cli'] ? ['inferd', 'naive', 'baseline'] : ['inferd', 'naive'];
for (const kind of kinds) await coldStart(kind);
const results: Record<Kind, Run[]> = { inferd: [], baseline: [], naive: [] };
for (let i = 0; i < runs; i++) {
  // Rotate which goes first, so none always follows another.
  for (let k = 0; k < kinds.length; k++) {
    const kind = kinds[(i + k) % kinds.length];
    results[kind].push(await coldStart(kind));
  }
  process.stderr.write(
    `round ${i + 1}/${runs}: ${kinds.map((k) => `${k} ${results[k][i].ms.toFixed(0)} ms`).join(' · ')}\n`,
  );
}
const loadEnd = loadAverage();
const { inferd, baseline, naive } = results;

const ms = (xs: readonly number[]) => median(xs).toFixed(0);
const spread = (xs: readonly number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const inferdMs = inferd.map((r) => r.ms);
const naiveMs = naive.map((r) => r.ms);
const ratio = median(inferdMs) / median(naiveMs);
const pairRatio = median(inferd.map((r, i) => r.ms / naive[i].ms));

/** Median duration of each phase (its end minus the end of the one before it) and median end, per phase name. */
function phaseMedians(runs: readonly Run[], names: readonly string[]): Map<string, { ms: string; end: string }> {
  const durations = new Map<string, number[]>(names.map((n) => [n, []]));
  const ends = new Map<string, number[]>(names.map((n) => [n, []]));
  for (const r of runs) {
    let previous = 0;
    // In the order this run's steps finished (gRPC and metrics come up side by side: either may be last).
    for (const [name, at] of Object.entries(r.phases ?? {}).sort((x, y) => x[1] - y[1])) {
      durations.get(name)?.push(at - previous);
      ends.get(name)?.push(at);
      previous = at;
    }
  }
  const out = new Map<string, { ms: string; end: string }>();
  for (const n of names) {
    const d = durations.get(n)!;
    out.set(n, d.length ? { ms: ms(d), end: ms(ends.get(n)!) } : { ms: '–', end: '–' });
  }
  return out;
}

/** The phase table: this build's medians, and the baseline's beside them when there is one. */
function phaseRows(): string[] {
  const names: string[] = [];
  for (const r of [...inferd, ...baseline])
    for (const name of Object.keys(r.phases ?? {})) if (!names.includes(name)) names.push(name);
  const order = Object.keys(PHASES);
  names.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const mine = phaseMedians(inferd, names);
  const base = baseline.length ? phaseMedians(baseline, names) : undefined;
  const rows = names.map(
    (n) =>
      `| ${PHASES[n] ?? n} | ${base ? `${base.get(n)!.ms} | ${base.get(n)!.end} | ` : ''}${mine.get(n)!.ms} | ${mine.get(n)!.end} |`,
  );
  const extra = (label: string, pick: (r: Run) => number | undefined) => {
    const of = (rs: readonly Run[]) => ms(rs.flatMap((r) => (pick(r) === undefined ? [] : [pick(r)!])));
    rows.push(`| … of which ${model}: ${label} | ${base ? `${of(baseline)} | | ` : ''}${of(inferd)} | |`);
  };
  extra('worker start, onnxruntime load, session (load_ms)', (r) => r.loadMs);
  extra('warm-up (warmup_ms)', (r) => r.warmupMs);
  return rows;
}

const PHASES: Record<string, string> = {
  node: 'node: process start to bootstrap done',
  code: 'code: cli + serve modules imported',
  config: 'config: flags, env, file read and validated',
  stores: 'stores: repository checked, rollout store opened',
  models: 'models: workers started, sessions created, warmed',
  http: 'http: HTTP app built and listening (ready from here)',
  grpc: 'grpc: gRPC service loaded and bound',
  metrics: 'metrics: metrics app listening',
};

const commandLine = `npm run bench:cold-start -- --runs ${runs}${values.cli === INFERD_CLI ? '' : ` --cli ${values.cli}`}${values['baseline-cli'] ? ` --baseline-cli ${values['baseline-cli']}` : ''}`;
const lines = [
  `## Cold start: process start to ready — ${new Date().toISOString().slice(0, 19)}Z · ${gitCommit()} · \`${commandLine}\``,
  '',
  `A repository holding only ${model}, copied fresh for every run; each server spawned on spare ports and GET /v2/health/ready polled every ${POLL_MS} ms until 200 (spawn() to that answer). inferd: \`inferd serve\` with its HTTP, gRPC and metrics listeners; naive: \`bench/naive-peer.ts --models ${model}\` (fastify + onnxruntime-node, ready once it listens)${baseline.length ? '; baseline: the --baseline-cli build, started the same way' : ''}. ${runs} rounds, the order rotating, after one untimed round. Load average ${loadStart} at start, ${loadEnd} at end.`,
  '',
  '| server | median ms | min–max ms |',
  '|---|---:|---:|',
  `| inferd | ${ms(inferdMs)} | ${spread(inferdMs)} |`,
  ...(baseline.length
    ? [`| inferd baseline | ${ms(baseline.map((r) => r.ms))} | ${spread(baseline.map((r) => r.ms))} |`]
    : []),
  `| naive peer | ${ms(naiveMs)} | ${spread(naiveMs)} |`,
  '',
  `inferd / naive: ${ratio.toFixed(2)}× (ratio of medians), ${pairRatio.toFixed(2)}× (median of per-round ratios). ` +
    `Target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? '✅ met' : '❌ not met'}.` +
    (baseline.length
      ? ` Baseline / naive: ${(median(baseline.map((r) => r.ms)) / median(naiveMs)).toFixed(2)}× (ratio of medians), ${median(baseline.map((r, i) => r.ms / naive[i].ms)).toFixed(2)}× (median of per-round ratios).`
      : ''),
  '',
];
if ([...inferd, ...baseline].some((r) => r.phases)) {
  lines.push(
    '**Where inferd’s time goes** (medians over the runs; `startup_phases_ms` of the "listening" log line, each step from the end of the previous one, in ms since the process started)',
    '',
    baseline.length ? '| phase | baseline ms | baseline ends at ms | ms | ends at ms |' : '| phase | ms | ends at ms |',
    baseline.length ? '|---|---:|---:|---:|---:|' : '|---|---:|---:|',
    ...phaseRows(),
    '',
  );
}
const markdown = lines.join('\n');
process.stdout.write(`${markdown}\n`);
if (!values['no-report']) appendToBenchmarks(markdown);
process.exit(0);
