/**
 * Where inferd's CPU goes: runs inferd (the CLI) under `node --cpu-prof`, drives one model with wrk, stops it
 * and prints the self time of the main thread and the model workers by area and by function.
 *
 * Usage: node dist/bench/profile-inferd.js [--model digits] [--transport json|binary|grpc] [--connections 64] [--duration 5]
 *        [--model-repository models]
 * json and binary (Triton's binary tensor extension) are driven by wrk; grpc (ModelInfer, one channel with
 * --connections streams) by h2load.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { referenceRows, writeBinaryBodiesFile, writeBodiesFile } from './bodies.js';
import { grpcInferFrame } from './grpc-client.js';
import { runH2load } from './h2load.js';
import { installCleanup, startService } from './children.js';
import { INFERD_CLI, REPO_ROOT } from './paths.js';
import { runWrk } from './wrk.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Coarse area of a frame: a package, a folder of inferd, node internals, or V8's pseudo-frames. */
function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /dist\/src\/(.+?)\/[^/]+\.js$/.exec(url) ?? /dist\/src\/([^/]+)\.js$/.exec(url);
  if (own) return `inferd/${own[1]}`;
  if (url.startsWith('node:'))
    return url.split('/')[0].replace(/^node:internal.*/, 'node:internal') === 'node:internal'
      ? `node:${url.slice(5).split('/')[1] ?? 'internal'}`
      : url;
  return url.split('/').slice(-1)[0];
}

function summarize(file: string, top: number): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  });
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    const a = area(f.url, f.functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const busy = total - (areas.get('(idle)') ?? 0);
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .filter(([k]) => k !== '(idle)' && !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  return `busy ${((busy / total) * 100).toFixed(0)}% of ${(total / 1e6).toFixed(1)} s\n by area:\n${fmt(areas)}\n by function:\n${fmt(fns)}`;
}

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'digits' },
    transport: { type: 'string', default: 'json' },
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '5' },
    'model-repository': { type: 'string', default: 'models' },
    top: { type: 'string', default: '25' },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'inferd-prof-'));
installCleanup(() => rmSync(dir, { recursive: true, force: true }));
const bodiesFile = join(dir, 'bodies.txt');
const transport = values.transport;
if (transport !== 'json' && transport !== 'binary' && transport !== 'grpc')
  throw new Error(`--transport must be json, binary or grpc, not ${transport}`);
if (transport === 'binary') writeBinaryBodiesFile(bodiesFile);
else if (transport === 'grpc') writeFileSync(bodiesFile, grpcInferFrame(values.model, [referenceRows()[0]]));
else writeBodiesFile(bodiesFile);
const server = await startService(
  'inferd (profiled)',
  process.execPath,
  [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    INFERD_CLI,
    'serve',
    '--model-repository',
    values['model-repository'],
    '--http-port',
    '0',
    '--grpc-port',
    '0',
    '--log-level',
    'info',
  ],
  { cwd: REPO_ROOT },
);
const url = `${server.url}/v2/models/${values.model}/infer`;
const connections = Number(values.connections);
const durationS = Number(values.duration);
const r =
  transport === 'grpc'
    ? await runH2load({
        url: `http://${server.grpcUrl}/inference.GRPCInferenceService/ModelInfer`,
        bodyFile: bodiesFile,
        connections: 1,
        streamsPerConnection: connections,
        durationS,
      })
    : await runWrk({ url, connections, durationS, bodiesFile, binary: transport === 'binary' });
await server.stop(15_000);
process.stdout.write(
  `${values.model} over ${transport} @ ${values.connections} in flight: ${Math.round(r.rps)} req/s, p50 ${(r.p50Us / 1000).toFixed(2)} ms (profiling slows it)\n`,
);
const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
if (profiles.length === 0) throw new Error('no .cpuprofile written (inferd did not exit normally?)');
for (const f of profiles.sort()) process.stdout.write(`\n== ${f}\n${summarize(join(dir, f), Number(values.top))}\n`);
process.exit(0);
