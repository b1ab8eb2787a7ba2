/**
 * The multi-core section: inferd with `--processes 1` and `--processes 2` against the naive peer under node:cluster
 * with the same number of processes (naive-cluster.ts), 64 connections, digits and mlp_heavy. All four servers run
 * side by side (idle while another is measured) and the runs alternate, reversed on every other repetition.
 * Per cell: requests/s, server CPU µs per request (every process and thread of the server: primary, serving
 * processes, model workers), main-thread CPU µs per request (the serving processes' event loops; the primary's
 * own, which accepts and hands out connections, apart), and for inferd the aggregated request counter's change
 * on the metrics port against wrk's count. Memory: resident set of every process of each server after the runs.
 *
 * `npm run bench` runs it as one of its sections; `npm run bench:multi-core` runs it alone
 * (`-- --quick` for a short run, `-- --no-append` to print without appending to BENCHMARKS.md).
 */
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startService, type Service } from './children.js';
import { request } from './http-client.js';
import { DIST_BENCH, INFERD_CLI, MODELS_DIR, REPO_ROOT } from './paths.js';
import { cpuMicros, rssKb, threadCpuMicros } from './process-stats.js';
import { median } from './stats.js';
import { assertClean, runWrk } from './wrk.js';

const MODELS = ['digits', 'mlp_heavy'] as const;
const CONNS = 64;
const COUNTS = [1, 2] as const;

export interface MultiCoreOptions {
  readonly bodiesFile: string;
  /** Scratch folder (the models inferd serves are copied here). */
  readonly tmpDir: string;
  readonly durationS: number;
  readonly warmupS: number;
  readonly reps: number;
  readonly log: (msg: string) => void;
}

interface Cell {
  readonly rps: number;
  /** Timeouts, socket errors and non-2xx answers wrk saw (inferd must have none; the naive peer's are reported). */
  readonly errors: number;
  readonly cpuUsPerReq: number;
  readonly mainUsPerReq: number;
  readonly primaryUsPerReq: number;
  /** inferd only: change of the aggregated request counter / wrk's count. */
  readonly counterRatio?: number | undefined;
  /** inferd only: change of the aggregated request counter − wrk's count (the server also answered what was in flight when wrk stopped). */
  readonly counterExtra?: number | undefined;
}

export interface MultiCoreResult {
  readonly cells: ReadonlyMap<string, readonly Cell[]>;
  /** Proportional set size (KiB) per server, summed over its processes, per process, and resident set summed. */
  readonly memory: ReadonlyMap<
    string,
    { readonly totalKb: number; readonly perProcessKb: readonly number[]; readonly rssKb: number }
  >;
  readonly modelBytes: number;
  readonly durationS: number;
  readonly reps: number;
}

/** The process and its descendants (the serving processes of a primary). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}

interface CpuReading {
  readonly total: number;
  readonly main: number;
  readonly primary: number;
}

/** CPU of a server: every process (all threads), the serving processes' main threads, the primary's main thread. */
function cpuOf(root: number, clustered: boolean): CpuReading {
  const pids = processTree(root);
  let total = 0;
  let main = 0;
  let primary = 0;
  for (const pid of pids) {
    try {
      total += cpuMicros(pid);
      const own = threadCpuMicros(pid);
      if (clustered && pid === root) primary += own;
      else main += own;
    } catch {
      // a process that ended meanwhile
    }
  }
  return { total, main, primary };
}

/**
 * Proportional set size in KiB: resident pages, each shared page divided among the processes that map it. The
 * fair measure of what one more process costs (RSS counts the shared libraries and the page cache once per process).
 */
function pssKb(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function requestCounter(metricsUrl: string, model: string): Promise<number> {
  const res = await request(undefined, metricsUrl, 'GET');
  let sum = 0;
  for (const line of res.body.split('\n'))
    if (line.startsWith('inferd_requests_total{') && line.includes(`model="${model}"`))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

function folderBytes(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, f) => n + folderBytes(join(path, f)), 0);
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const res = await request(undefined, `${url}/v2/health/ready`, 'GET').catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready`);
}

export async function runMultiCore(o: MultiCoreOptions): Promise<MultiCoreResult> {
  // The two models alone, as the naive peer loads them (explicit model control is refused with several processes).
  const repository = join(o.tmpDir, 'multi-core-models');
  for (const m of MODELS) cpSync(join(MODELS_DIR, m), join(repository, m), { recursive: true });
  const servers = new Map<string, { service: Service; clustered: boolean; metricsUrl?: string | undefined }>();
  try {
    for (const n of COUNTS) {
      const inferd = await startService(
        `inferd-${n}`,
        process.execPath,
        [
          INFERD_CLI,
          'serve',
          '--model-repository',
          repository,
          '--http-port',
          '0',
          '--grpc-port',
          '-1',
          '--metrics-port',
          '0',
          '--processes',
          String(n),
          '--log-level',
          'info',
        ],
        { cwd: REPO_ROOT, env: { ...process.env, INFERD_STATE_DIR: join(o.tmpDir, `state-${n}`) } },
      );
      await waitReady(inferd.url);
      const metricsUrl = /"metrics_url":"([^"]+)"/.exec(inferd.tail())?.[1];
      if (!metricsUrl) throw new Error(`inferd-${n} logged no metrics_url:\n${inferd.tail()}`);
      servers.set(`inferd|${n}`, { service: inferd, clustered: n > 1, metricsUrl });
      const naive = await startService(
        `naive-${n}`,
        process.execPath,
        [join(DIST_BENCH, 'naive-cluster.js'), '--processes', String(n), '--model-repository', 'models'],
        { cwd: REPO_ROOT },
      );
      servers.set(`naive|${n}`, { service: naive, clustered: true });
    }
    const measure = async (key: string, model: string, durationS: number): Promise<Cell> => {
      const s = servers.get(key);
      if (!s) throw new Error(`no server ${key}`);
      if (!s.service.alive()) throw new Error(`${key} is gone (${s.service.exitStatus()}):\n${s.service.tail()}`);
      const counterBefore = s.metricsUrl ? await requestCounter(s.metricsUrl, model) : undefined;
      const before = cpuOf(s.service.pid, s.clustered);
      const r = await runWrk({
        url: `${s.service.url}/v2/models/${model}/infer`,
        connections: CONNS,
        durationS,
        bodiesFile: o.bodiesFile,
        timeoutS: 30,
      });
      const after = cpuOf(s.service.pid, s.clustered);
      // inferd must serve without an error; the naive peer's (timeouts of requests queued behind a slow model) are counted.
      if (key.startsWith('inferd')) assertClean(r, `${key}, ${model}, ${CONNS} connections`);
      const errors = r.non2xx + r.connectErrors + r.readErrors + r.writeErrors + r.timeouts;
      const counterAfter = s.metricsUrl ? await requestCounter(s.metricsUrl, model) : undefined;
      return {
        rps: r.rps,
        errors,
        cpuUsPerReq: (after.total - before.total) / r.requests,
        mainUsPerReq: (after.main - before.main) / r.requests,
        primaryUsPerReq: (after.primary - before.primary) / r.requests,
        counterRatio:
          counterBefore === undefined || counterAfter === undefined
            ? undefined
            : (counterAfter - counterBefore) / r.requests,
        counterExtra:
          counterBefore === undefined || counterAfter === undefined
            ? undefined
            : counterAfter - counterBefore - r.requests,
      };
    };
    const keys = COUNTS.flatMap((n) => [`inferd|${n}`, `naive|${n}`]);
    o.log('multi-core: warming up…');
    for (const model of MODELS) for (const key of keys) await measure(key, model, o.warmupS);
    const cells = new Map<string, Cell[]>();
    for (let rep = 0; rep < o.reps; rep++)
      for (const model of MODELS) {
        const order = rep % 2 ? [...keys].reverse() : keys;
        for (const key of order) {
          const c = await measure(key, model, o.durationS);
          cells.set(`${key}|${model}`, [...(cells.get(`${key}|${model}`) ?? []), c]);
          o.log(
            `multi-core run ${rep + 1}/${o.reps} ${model} ${key.padEnd(8)} ${Math.round(c.rps)} req/s, ${Math.round(c.cpuUsPerReq)} µs CPU/req, main ${Math.round(c.mainUsPerReq)} µs/req` +
              (c.counterRatio === undefined ? '' : `, counter/wrk ${c.counterRatio.toFixed(4)}`) +
              (c.errors ? `, ${c.errors} errors` : ''),
          );
        }
      }
    const memory = new Map<string, { totalKb: number; perProcessKb: number[]; rssKb: number }>();
    for (const [key, s] of servers) {
      const pids = processTree(s.service.pid);
      const perProcessKb = pids.map((pid) => pssKb(pid));
      memory.set(key, {
        totalKb: perProcessKb.reduce((a, b) => a + b, 0),
        perProcessKb,
        rssKb: pids.reduce((n, pid) => n + rssKb(pid), 0),
      });
    }
    const modelBytes = MODELS.reduce((n, m) => n + folderBytes(join(MODELS_DIR, m)), 0);
    return { cells, memory, modelBytes, durationS: o.durationS, reps: o.reps };
  } finally {
    await Promise.all([...servers.values()].map((s) => s.service.stop()));
  }
}

const mid = (cells: readonly Cell[] | undefined, f: (c: Cell) => number) => median((cells ?? []).map(f));

/** The section's markdown: the table, the targets and the projection with its method. */
export function renderMultiCore(r: MultiCoreResult): string {
  const get = (server: string, n: number, model: string) => r.cells.get(`${server}|${n}|${model}`);
  const lines = [
    '### Multi-core: `--processes 1` and `2` vs the naive peer under node:cluster',
    '',
    `64 connections, wrk (1 thread) on the same 2-core machine; ${r.reps === 1 ? 'one run' : `median of ${r.reps} runs`} of ${r.durationS} s per cell, servers alternating. CPU per request counts every process and thread of the server; main thread is the serving processes' event loops (the primary's own, which hands out connections, apart).`,
    '',
    '| model | N | inferd req/s | naive cluster req/s | inferd / naive | inferd CPU µs/req | naive CPU µs/req | inferd main-thread µs/req | naive main-thread µs/req | inferd primary µs/req | counter / wrk | naive errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const model of MODELS)
    for (const n of COUNTS) {
      const i = get('inferd', n, model);
      const v = get('naive', n, model);
      const irps = mid(i, (c) => c.rps);
      const nrps = mid(v, (c) => c.rps);
      lines.push(
        `| ${model} | ${n} | ${Math.round(irps)} | ${Math.round(nrps)} | ${(irps / nrps).toFixed(2)}× | ${Math.round(mid(i, (c) => c.cpuUsPerReq))} | ${Math.round(mid(v, (c) => c.cpuUsPerReq))} | ${Math.round(mid(i, (c) => c.mainUsPerReq))} | ${Math.round(mid(v, (c) => c.mainUsPerReq))} | ${n > 1 ? mid(i, (c) => c.primaryUsPerReq).toFixed(1) : '–'} | ${mid(i, (c) => c.counterRatio ?? NaN).toFixed(4)} | ${(v ?? []).reduce((n, c) => n + c.errors, 0)} |`,
      );
    }
  const mem = (key: string) => r.memory.get(key)?.totalKb ?? NaN;
  // The primary is paid once, not per process: an extra serving process is N=2's total less the primary's, less N=1's.
  const primaryKb = r.memory.get('inferd|2')?.perProcessKb[0] ?? NaN;
  const extraInferd = (mem('inferd|2') - primaryKb - mem('inferd|1')) / 1024;
  const extraNaive = (mem('naive|2') - mem('naive|1')) / 1024;
  const modelMb = r.modelBytes / 1024 / 1024;
  lines.push(
    '',
    `Memory (proportional set size: shared pages divided among the processes mapping them; all processes of the server): inferd N=1 ${Math.round(mem('inferd|1') / 1024)} MiB, N=2 ${Math.round(mem('inferd|2') / 1024)} MiB (per process: ${(r.memory.get('inferd|2')?.perProcessKb ?? []).map((k) => Math.round(k / 1024)).join(', ')} MiB, the first the primary); naive N=1 ${Math.round(mem('naive|1') / 1024)} MiB, N=2 ${Math.round(mem('naive|2') / 1024)} MiB. Per extra serving process (N=2 less its primary, less N=1): inferd ${extraInferd.toFixed(0)} MiB, plus ${Math.round(primaryKb / 1024)} MiB once for the primary; naive (N=2 less N=1, its primary included) ${extraNaive.toFixed(0)} MiB; the models' files are ${modelMb.toFixed(1)} MiB. Resident set for comparison (shared libraries counted once per process): inferd N=1 ${Math.round((r.memory.get('inferd|1')?.rssKb ?? NaN) / 1024)} MiB, N=2 ${Math.round((r.memory.get('inferd|2')?.rssKb ?? NaN) / 1024)} MiB.`,
    '',
  );
  const cpu = (n: number, model: string) => mid(get('inferd', n, model), (c) => c.cpuUsPerReq);
  const targets: Array<[string, boolean, string]> = [];
  for (const model of MODELS) {
    const growth = cpu(2, model) / cpu(1, model);
    targets.push([
      `${model}: CPU per request at N=2 within 10 % of N=1`,
      growth <= 1.1,
      `${Math.round(cpu(1, model))} → ${Math.round(cpu(2, model))} µs (${((growth - 1) * 100).toFixed(1)} %)`,
    ]);
  }
  const ratio = (model: string) =>
    mid(get('inferd', 2, model), (c) => c.rps) / mid(get('naive', 2, model), (c) => c.rps);
  targets.push([
    'digits at N=2: inferd ≥ 1.2× naive cluster',
    ratio('digits') >= 1.2,
    `${ratio('digits').toFixed(2)}×`,
  ]);
  targets.push([
    'mlp_heavy at N=2: inferd ≥ 2.5× naive cluster',
    ratio('mlp_heavy') >= 2.5,
    `${ratio('mlp_heavy').toFixed(2)}×`,
  ]);
  const counters = [...r.cells.entries()]
    .filter(([k]) => k.startsWith('inferd|2|'))
    .flatMap(([, cs]) => cs.map((c) => c.counterRatio ?? NaN));
  const worst = Math.max(...counters.map((c) => Math.abs(c - 1)));
  const extras = [...r.cells.entries()]
    .filter(([k]) => k.startsWith('inferd|2|'))
    .flatMap(([, cs]) => cs.map((c) => c.counterExtra ?? NaN));
  targets.push([
    'N=2: aggregated request counter = wrk count ± 1 %',
    worst <= 0.01,
    `worst run off by ${(worst * 100).toFixed(2)} %; counter − wrk per run: ${extras.join(', ')} (at most the ${CONNS} requests in flight when wrk stopped, which the server answered and wrk did not count: ${extras.every((e) => e >= 0 && e <= CONNS) ? 'so in every run' : 'NOT in every run'})`,
  ]);
  targets.push([
    'memory per extra process ≤ models + 80 MB',
    extraInferd <= modelMb + 80,
    `${extraInferd.toFixed(0)} MiB ≤ ${(modelMb + 80).toFixed(0)} MiB`,
  ]);
  lines.push('| target | met | measured |', '| --- | --- | --- |');
  for (const [name, met, measured] of targets) lines.push(`| ${name} | ${met ? 'yes' : 'no'} | ${measured} |`);
  // Projection: a core serves 1e6 / (CPU µs per request) requests per second when nothing is shared; the N=1 → N=2
  // growth in CPU per request is charged again for every further process (compounded), as a shared cost would be.
  lines.push(
    '',
    '**Projection** (method below):',
    '',
    '| model | 8 cores req/s | 16 cores req/s | 8-core scaling vs N=1 |',
    '| --- | --- | --- | --- |',
  );
  for (const model of MODELS) {
    const c1 = cpu(1, model);
    const c2 = cpu(2, model);
    const growth = Math.max(1, c2 / c1);
    const at = (k: number) => (k * 1e6) / (c1 * growth ** Math.log2(k));
    lines.push(
      `| ${model} | ${Math.round(at(8))} | ${Math.round(at(16))} | ${(at(8) / (1e6 / c1)).toFixed(1)}× (${((at(8) / (1e6 / c1) / 8) * 100).toFixed(0)} % of linear) | ${Math.round((8 * 1e6) / c1)} | ${Math.round((16 * 1e6) / c1)} |`,
    );
  }
  lines.push(
    '',
    'Method: with k cores each running one serving process, throughput is k × 10⁶ / (server CPU µs per request at k processes), the cores given over to the server (the load generator on another machine). CPU per request at k processes is estimated from the measured N=1 and N=2 values: the growth from 1 to 2 (if any: memory bandwidth, the shared L3, the primary handing out connections) is applied again at every doubling, i.e. cpu(k) = cpu(1) × (cpu(2)/cpu(1))^log2(k): the pessimistic columns, for a fixed 64 connections, where each process sees 64/k of them and so forms smaller batches (at N=2 the mean batch halves: the CPU a batch costs is shared by fewer requests). When the connections grow with the cores (64 per process), each process batches as one process does alone and nothing else is shared on the request path, so cpu(k) = cpu(1): the optimistic columns. To check it on a bigger box, run this section with COUNTS extended to 4, 8, 16 and compare. What the processes share, and its cost: the listening sockets, held by the primary, which accepts each connection and passes it to a process (per connection, not per request: the primary column above, µs per request with 64 keep-alive connections); the state file (SQLite), which each process polls every 100 ms (`PRAGMA data_version`, a few µs) and writes only on control changes; the metrics port, where a scrape asks every process for its text over IPC (per scrape, not per request). Each process has its own models, workers and caches, so memory grows per process as in the table, and nothing on the request path crosses processes.',
    '',
  );
  return lines.join('\n');
}
