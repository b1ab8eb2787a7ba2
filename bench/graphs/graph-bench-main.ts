/**
 * `npm run bench:graphs [-- --quick] [-- --no-append]`: the inference-graph section of `npm run bench` on its own
 * (see graph-bench.ts), appended to BENCHMARKS.md unless --no-append.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup } from '../children.js';
import { loadAverage, machineInfo } from '../machine.js';
import { appendToBenchmarks } from '../report.js';
import { GRAPH_FULL, GRAPH_QUICK, renderGraphBench, runGraphBench } from './graph-bench.js';

const log = (s: string) => process.stderr.write(`[bench:graphs] ${s}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, 'no-append': { type: 'boolean', default: false } },
  });
  const tmp = mkdtempSync(join(tmpdir(), 'inferd-graph-bench-'));
  installCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  const m = machineInfo();
  const before = loadAverage();
  const result = await runGraphBench({ plan: values.quick ? GRAPH_QUICK : GRAPH_FULL, tmp, log });
  const markdown = renderGraphBench(
    result,
    `${m.cpuModel}, ${m.cores} cores, load ${before} → ${loadAverage()}`,
    `${m.date} · ${m.commit} · \`npm run bench:graphs${values.quick ? ' -- --quick' : ''}\``,
  );
  process.stdout.write(`\n${markdown}\n`);
  if (!values['no-append']) appendToBenchmarks(markdown);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`FAILED: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
