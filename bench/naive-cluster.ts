/**
 * The naive peer (naive-peer.ts: fastify + onnxruntime-node, one session.run per request on the main thread) run
 * the way a Node user would spread it over cores: node:cluster with N processes on one port (round robin by the
 * primary, Node's default on Linux). Announces its URL once every process listens.
 *
 * Usage: node dist/bench/naive-cluster.js --processes N [--model-repository models] [--models digits,mlp_heavy]
 */
import cluster from 'node:cluster';
import { createServer, type AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { announceListening, exitWithParent } from './child-lifetime.js';

if (cluster.isPrimary) {
  const { values } = parseArgs({
    strict: false,
    options: { processes: { type: 'string', default: '2' }, port: { type: 'string', default: '0' } },
  });
  exitWithParent();
  const count = Number(values.processes);
  // One port for all: 0 resolved here (every process asks the primary for the same one).
  let port = Number(values.port);
  if (port === 0) {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen({ host: '127.0.0.1', port: 0 }, resolve));
    port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--processes' && all[i - 1] !== '--processes');
  cluster.setupPrimary({ args: [...args.filter((a) => !a.startsWith('--port')), '--port', String(port)] });
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === count) announceListening('naive-cluster', `http://127.0.0.1:${port}`);
  });
  for (let i = 0; i < count; i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  });
} else {
  await import('./naive-peer.js');
}
