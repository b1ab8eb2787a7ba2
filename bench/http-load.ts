/**
 * JSON HTTP load generator in Node, run as its own process: the same closed loop as grpc-load (N in flight,
 * node:http keep-alive agent with N sockets), POSTing the 32 digits reference rows as V2 JSON bodies. It exists so
 * gRPC can be compared with JSON HTTP driven by the same kind of client (wrk is much cheaper per request).
 *
 * Usage: node dist/bench/http-load.js --url http://127.0.0.1:PORT/v2/models/mlp_heavy/infer --concurrency 64 --duration 10
 * Prints one line "LOAD_JSON {...}" (see closed-loop.ts).
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { inferBody, referenceRows } from './bodies.js';
import { exitWithParent } from './child-lifetime.js';
import { closedLoop, printResult } from './closed-loop.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
  },
});

async function main(): Promise<void> {
  if (!values.url) throw new Error('http-load: --url is required');
  exitWithParent();
  const concurrency = Number(values.concurrency);
  const url = new URL(values.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const bodies = referenceRows().map((row) => Buffer.from(inferBody(row), 'utf8'));
  const call = (i: number): Promise<number> => {
    const body = bodies[i % bodies.length];
    return new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () =>
            res.statusCode === 200 && bytes > 0
              ? resolve(bytes)
              : reject(new Error(`HTTP ${res.statusCode}, ${bytes} bytes`)),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', reject);
      req.end(body);
    });
  };
  // One request per socket first, so connection setup is not inside the window.
  await Promise.all(Array.from({ length: concurrency }, (_, i) => call(i)));
  const result = await closedLoop({ concurrency, durationS: Number(values.duration), call });
  agent.destroy();
  // The warm-up requests were answered by the server too (CPU per inference divides by `answered`).
  printResult({ ...result, answered: result.answered + concurrency });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`http-load: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
