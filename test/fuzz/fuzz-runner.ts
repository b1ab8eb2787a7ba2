/**
 * `npm run fuzz`: every decoder property (decoder-properties.ts) over NUM_RUNS cases in all (default 100,000),
 * shared by weight, then the end-to-end properties over a started server (server-properties.ts, FUZZ_SERVER_RUNS
 * cases per door (six doors over HTTP and gRPC), default 2,000). Prints the case counts and timings; exits 1 on the first failing property.
 *
 * Runs only with --run: `node --test` also executes every file under dist/test, and must not start 100,000 cases.
 */
import { newTally } from './decode-check.js';
import { DECODER_PROPERTIES } from './decoder-properties.js';
import { runServerFuzz } from './server-properties.js';

function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${text}`);
  return n;
}

async function main(): Promise<number> {
  const total = envInt('NUM_RUNS', 100_000);
  const serverRuns = envInt('FUZZ_SERVER_RUNS', 2_000);
  const seed = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : envInt('FUZZ_SEED', 1);
  const weights = DECODER_PROPERTIES.reduce((n, p) => n + p.weight, 0);
  console.log(`decoder fuzzing: ${total} cases over ${DECODER_PROPERTIES.length} properties (seed ${seed})`);
  let cases = 0;
  const started = performance.now();
  for (const p of DECODER_PROPERTIES) {
    const tally = newTally();
    const t0 = performance.now();
    p.run(Math.max(1, Math.round((total * p.weight) / weights)), tally, seed);
    cases += tally.cases;
    const s = (performance.now() - t0) / 1000;
    console.log(
      `  ${p.name}\n    ${tally.cases} cases (${tally.decoded} decoded, ${tally.refused} refused) in ${s.toFixed(1)} s; slowest case ${tally.slowestMs.toFixed(1)} ms`,
    );
  }
  console.log(`decoders: ${cases} cases in ${((performance.now() - started) / 1000).toFixed(1)} s, no failure`);
  const server = await runServerFuzz(serverRuns, seed);
  for (const line of server.lines) console.log(line);
  console.log(
    `total: ${cases + server.cases} cases (${cases} decoder, ${server.cases} server requests) in ${((performance.now() - started) / 1000).toFixed(1)} s; ${server.faults} server faults (5xx or gRPC INTERNAL/UNKNOWN/UNAVAILABLE/DATA_LOSS), 0 crashes`,
  );
  return 0;
}

if (process.argv.includes('--run')) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
