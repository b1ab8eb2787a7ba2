/**
 * Main-thread CPU per request: starts the built inferd, drives one model with wrk and reports requests/s and the
 * main thread's CPU µs per request for each run (median of --runs). For A/B comparisons of the request path.
 *
 * Usage: node dist/bench/main-thread-cost.js [--model digits] [--connections 64] [--duration 6] [--runs 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBodiesFile } from './bodies.js';
import { installCleanup, startService } from './children.js';
import { INFERD_CLI, REPO_ROOT } from './paths.js';
import { cpuMicros, threadCpuMicros } from './process-stats.js';
import { runWrk } from './wrk.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'digits' },
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '6' },
    runs: { type: 'string', default: '3' },
    /** Another build's CLI (e.g. a worktree of the base commit), for A/B runs. */
    cli: { type: 'string', default: INFERD_CLI },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'inferd-mtc-'));
installCleanup(() => rmSync(dir, { recursive: true, force: true }));
const bodiesFile = join(dir, 'bodies.txt');
writeBodiesFile(bodiesFile);
const server = await startService('inferd', process.execPath, [values.cli, 'serve', '--model-repository', 'models', '--http-port', '0', '--grpc-port', '0'], { cwd: REPO_ROOT });
const url = `${server.url}/v2/models/${values.model}/infer`;
await runWrk({ url, connections: Number(values.connections), durationS: 2, bodiesFile });
const rows: { rps: number; mainUs: number; procUs: number; p50: number }[] = [];
for (let i = 0; i < Number(values.runs); i++) {
  const m0 = threadCpuMicros(server.pid);
  const p0 = cpuMicros(server.pid);
  const r = await runWrk({ url, connections: Number(values.connections), durationS: Number(values.duration), bodiesFile });
  const n = r.requests;
  rows.push({ rps: r.rps, mainUs: (threadCpuMicros(server.pid) - m0) / n, procUs: (cpuMicros(server.pid) - p0) / n, p50: r.p50Us });
}
await server.stop(15_000);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const r of rows) process.stdout.write(`req/s ${Math.round(r.rps)}  main µs/req ${r.mainUs.toFixed(1)}  process µs/req ${r.procUs.toFixed(1)}  p50 ${(r.p50 / 1000).toFixed(2)} ms\n`);
process.stdout.write(`median: req/s ${Math.round(med(rows.map((r) => r.rps)))}  main µs/req ${med(rows.map((r) => r.mainUs)).toFixed(1)}  process µs/req ${med(rows.map((r) => r.procUs)).toFixed(1)}\n`);
process.exit(0);
