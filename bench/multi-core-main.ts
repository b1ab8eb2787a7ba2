/**
 * `npm run bench:multi-core`: the multi-core section alone (multi-core.ts); `-- --quick` for one short run,
 * `-- --no-append` to print the report without appending it to BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBodiesFile } from './bodies.js';
import { installCleanup } from './children.js';
import { gitCommit, loadAverage, machineInfo } from './machine.js';
import { renderMultiCore, runMultiCore } from './multi-core.js';
import { appendToBenchmarks } from './report.js';

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'no-append': { type: 'boolean', default: false },
      reps: { type: 'string' },
    },
  });
  const tmp = mkdtempSync(join(tmpdir(), 'inferd-bench-'));
  installCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  const bodiesFile = join(tmp, 'bodies.txt');
  writeBodiesFile(bodiesFile);
  const machine = machineInfo();
  const loadStart = loadAverage();
  const result = await runMultiCore({
    bodiesFile,
    tmpDir: tmp,
    durationS: values.quick ? 3 : 10,
    warmupS: values.quick ? 1 : 3,
    reps: values.reps ? Number(values.reps) : values.quick ? 1 : 3,
    log,
  });
  const markdown = [
    `## ${new Date().toISOString().slice(0, 10)} · multi-core section · commit ${gitCommit()}`,
    '',
    `${machine.cpuModel}, ${machine.cores} cores · Node ${process.version} · load average ${loadStart} at start, ${loadAverage()} at end`,
    '',
    renderMultiCore(result),
  ].join('\n');
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
