/**
 * A/B of the request path's main-thread cost: two builds of inferd (this one and another checkout's) run side by
 * side and wrk drives them in turn, run after run, so drift of a shared machine falls on both alike. Reports the
 * median of the per-pair ratios (B ÷ A) of requests/s, of p50 latency and of main-thread CPU µs per request.
 *
 * Usage: node dist/bench/main-thread-ab.js --cli-a <other checkout>/dist/src/cli/inferd.js [--model digits]
 *        [--connections 64] [--duration 4] [--pairs 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBodiesFile } from './bodies.js';
import { installCleanup, startService, type Service } from './children.js';
import { INFERD_CLI, REPO_ROOT } from './paths.js';
import { threadCpuMicros } from './process-stats.js';
import { runWrk } from './wrk.js';

const { values } = parseArgs({
  options: {
    'cli-a': { type: 'string' },
    model: { type: 'string', default: 'digits' },
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '4' },
    pairs: { type: 'string', default: '8' },
  },
});
if (!values['cli-a']) throw new Error('--cli-a <path to the other build of dist/src/cli/inferd.js> is required');
const dir = mkdtempSync(join(tmpdir(), 'inferd-ab-'));
installCleanup(() => rmSync(dir, { recursive: true, force: true }));
const bodiesFile = join(dir, 'bodies.txt');
writeBodiesFile(bodiesFile);
const serve = (name: string, cli: string) =>
  startService(
    name,
    process.execPath,
    [cli, 'serve', '--model-repository', 'models', '--http-port', '0', '--grpc-port=-1'],
    { cwd: REPO_ROOT },
  );
const [a, b] = await Promise.all([serve('A', values['cli-a']), serve('B (this build)', INFERD_CLI)]);
const connections = Number(values.connections);
const durationS = Number(values.duration);

async function measure(s: Service): Promise<{ rps: number; p50Us: number; mainUs: number }> {
  const url = `${s.url}/v2/models/${values.model}/infer`;
  const m0 = threadCpuMicros(s.pid);
  const r = await runWrk({ url, connections, durationS, bodiesFile });
  return { rps: r.rps, p50Us: r.p50Us, mainUs: (threadCpuMicros(s.pid) - m0) / r.requests };
}

await measure(a);
await measure(b);
const rps: number[] = [];
const cpu: number[] = [];
const p50: number[] = [];
for (let i = 0; i < Number(values.pairs); i++) {
  // Alternate which goes first, so neither always follows the other.
  let x, y;
  if (i % 2 === 0) {
    x = await measure(a);
    y = await measure(b);
  } else {
    y = await measure(b);
    x = await measure(a);
  }
  rps.push(y.rps / x.rps);
  cpu.push(y.mainUs / x.mainUs);
  p50.push(y.p50Us / x.p50Us);
  process.stdout.write(
    `pair ${i + 1}: A ${Math.round(x.rps)} req/s p50 ${(x.p50Us / 1000).toFixed(2)} ms ${x.mainUs.toFixed(1)} µs · B ${Math.round(y.rps)} req/s p50 ${(y.p50Us / 1000).toFixed(2)} ms ${y.mainUs.toFixed(1)} µs\n`,
  );
}
await Promise.all([a.stop(15_000), b.stop(15_000)]);
const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
process.stdout.write(
  `median B ÷ A: req/s ${med(rps).toFixed(3)}×, p50 ${med(p50).toFixed(3)}×, main-thread CPU per request ${med(cpu).toFixed(3)}×\n`,
);
process.exit(0);
