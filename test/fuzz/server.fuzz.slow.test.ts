/**
 * The quick end-to-end fuzz run inside `npm run test:slow`: hostile V2 (JSON and binary), V1 and gRPC requests against a
 * started server over real sockets; never a 5xx or a gRPC server fault, and the server answers health afterwards.
 */
import { it } from 'node:test';
import { runServerFuzz } from './server-properties.js';

const RUNS = Number(process.env.FUZZ_QUICK_SERVER_RUNS ?? 150);

it('a started server answers every fuzzed HTTP and gRPC request without a server fault, and stays healthy', async (t) => {
  const started = performance.now();
  const report = await runServerFuzz(RUNS);
  for (const line of report.lines) t.diagnostic(line);
  t.diagnostic(
    `${report.cases} requests in ${Math.round(performance.now() - started)} ms (server start and stop included)`,
  );
});
