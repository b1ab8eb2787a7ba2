/**
 * The lone-caller section on its own: `npm run bench:lone-caller` (or `-- --quick`, `-- --no-append`). `npm run
 * bench` runs the same section among the others.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup } from './children.js';
import { loadAverage, machineInfo } from './machine.js';
import { appendToBenchmarks } from './report.js';
import { loneCallerTargets, renderLoneCaller, runLoneCaller } from './lone-caller.js';

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'no-append': { type: 'boolean', default: false },
      reps: { type: 'string' },
      duration: { type: 'string' },
    },
  });
  const plan = {
    reps: Number(values.reps ?? (values.quick ? 1 : 3)),
    durationS: Number(values.duration ?? (values.quick ? 2 : 5)),
    warmupS: values.quick ? 1 : 2,
  };
  const tmp = mkdtempSync(join(tmpdir(), 'inferd-lone-'));
  installCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  const machine = machineInfo();
  const loadStart = loadAverage();
  const result = await runLoneCaller({ tmpDir: tmp, ...plan, log });
  const markdown = [
    `## Lone caller — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `${machine.cpuModel}, ${machine.cores} cores, Node ${process.version}; load average ${loadStart} at start, ${loadAverage()} at end.`,
    '',
    renderLoneCaller(result, plan),
  ].join('\n');
  process.stdout.write(`\n${markdown}\n`);
  if (!values['no-append']) appendToBenchmarks(`${markdown}\n`);
  const targets = loneCallerTargets(result);
  log(`${targets.filter((t) => t.met).length}/${targets.length} lone-caller targets met`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`FAILED: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
