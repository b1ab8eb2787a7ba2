/**
 * The server side of isolation.slow.test.ts: an inferd HTTP server in a process of its own (forked with
 * `--expose-gc` and the glibc settings the README recommends), so the test's client shares neither its heap nor
 * its allocator. Over IPC it sends `{ url }` once listening, answers `'rss'` with its resident set size after a
 * full GC, and stops on `'stop'`. Does nothing unless INFERD_ISOLATION_SERVER is set (node --test also loads
 * it as a test file).
 */
import { startTestServer } from '../helpers/server.js';

async function serve(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc || !process.send) throw new Error('fork this file with --expose-gc');
  const server = await startTestServer({
    config: { grpc_port: -1, metrics_port: -1, model_control_mode: 'explicit', load_models: ['digits'] },
  });
  process.on('message', (msg: string) => {
    if (msg === 'rss') {
      gc();
      gc();
      process.send!({ rss: process.memoryUsage().rss / 2 ** 20 });
    } else if (msg === 'stop') {
      void server.close().then(() => process.exit(0));
    }
  });
  process.send({ url: server.url });
}

if (process.env.INFERD_ISOLATION_SERVER) {
  serve().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
