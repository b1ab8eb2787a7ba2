/**
 * Audit trail overhead: requests/s, p50/p99 and CPU per inference for digits at 64 connections (wrk), with the audit
 * trail off and on (async durability, embedded SQLite, every request recorded). Two inferd processes side by side,
 * each idle while the other is measured, runs interleaved (off, on, then reversed). Appends a section to
 * BENCHMARKS.md and reports how many records reached the store.
 *
 * Usage: npm run bench:audit [-- --quick] [-- --no-append]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { writeBodiesFile } from '../bodies.js';
import { installCleanup, startService, type Service } from '../children.js';
import { loadAverage, machineInfo } from '../machine.js';
import { INFERD_CLI, REPO_ROOT } from '../paths.js';
import { cpuMicros } from '../process-stats.js';
import { appendToBenchmarks, summarize, type Sample, type Summary } from '../report.js';
import { assertClean, runWrk } from '../wrk.js';

const CONNECTIONS = 64;
const MODEL = 'digits';
type Cell = 'off' | 'on';

const log = (msg: string): void => void process.stderr.write(`bench:audit: ${msg}\n`);

/** Starts inferd on the example models; `config` adds a server config file. */
function startInferd(name: string, config?: string): Promise<Service> {
  const args = [INFERD_CLI, 'serve', '--model-repository', 'models', '--http-port', '0', '--log-level', 'info', ...(config ? ['--config', config] : [])];
  return startService(name, process.execPath, args, { cwd: REPO_ROOT });
}

/** One wrk run against one server; CPU is the server process's own. */
async function measure(s: Service, bodiesFile: string, durationS: number): Promise<Sample & { requests: number }> {
  const before = cpuMicros(s.pid);
  const r = await runWrk({ url: `${s.url}/v2/models/${MODEL}/infer`, connections: CONNECTIONS, durationS, bodiesFile });
  const cpuUs = cpuMicros(s.pid) - before;
  if (!s.alive()) throw new Error(`${s.name} is gone (${s.exitStatus()}):\n${s.tail()}`);
  assertClean(r, `${s.name}, ${CONNECTIONS} connections`);
  return { rps: r.rps, p50Us: r.p50Us, p99Us: r.p99Us, cpuUsPerReq: cpuUs / r.requests, requests: r.requests };
}

function storedRecords(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM predictions').pluck().get() as number;
  } finally {
    db.close();
  }
}

const ms = (us: number) => (us / 1000).toFixed(2);

/** wrk does not count requests still in flight when a run ends, so `stored` may exceed `sent` by a few. */
function recordsLine(sent: number, stored: number): string {
  if (stored >= sent) return `Records: every answered request reached the store (${stored} records for ${sent} responses wrk counted).`;
  return `Records: ${stored} of ${sent} answered requests reached the store; about ${sent - stored} were dropped by the overflow policy.`;
}
const x = (v: number) => `${v.toFixed(2)}×`;

function render(cells: Record<Cell, Summary>, facts: { reps: number; durationS: number; sent: number; stored: number; loadStart: string; quick: boolean }): string {
  const m = machineInfo();
  const { off, on } = cells;
  const row = (label: string, s: Summary) => `| ${label} | ${Math.round(s.rps)} | ${Math.round(s.rpsMin)}–${Math.round(s.rpsMax)} | ${ms(s.p50Us)} | ${ms(s.p99Us)} | ${Math.round(s.cpuUsPerReq)} |`;
  return [
    `## Audit trail overhead — ${m.date} · ${m.commit}${facts.quick ? ' · quick' : ''}`,
    '',
    `${m.cpuModel}, ${m.cores} cores · Node ${m.node} · ${m.wrk} · load average ${facts.loadStart} at start, ${loadAverage()} at end · ` +
      `${facts.reps === 1 ? '1 run' : `median of ${facts.reps} runs`} of ${facts.durationS} s per cell, interleaved`,
    '',
    `Model ${MODEL}, batch 1 per request, JSON over HTTP, wrk at ${CONNECTIONS} connections. **on**: \`audit: { enabled: true, durability: async }\` ` +
      'to embedded SQLite (batches written by the audit worker thread), every request recorded (sample_rate 1), default buffer and max_elements.',
    '',
    '| audit trail | req/s | range | p50 ms | p99 ms | CPU µs/inf |',
    '|---|---:|---:|---:|---:|---:|',
    row('off', off),
    row('on (async, SQLite)', on),
    '',
    `**Overhead** (on ÷ off): req/s ${x(on.rps / off.rps)}, p50 ${x(on.p50Us / off.p50Us)}, p99 ${x(on.p99Us / off.p99Us)}, CPU per inference ${x(on.cpuUsPerReq / off.cpuUsPerReq)}. ` +
      recordsLine(facts.sent, facts.stored),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'no-append': { type: 'boolean', default: false } } });
  const quick = values.quick;
  const reps = quick ? 1 : 3;
  const durationS = quick ? 3 : 10;
  const tmp = mkdtempSync(join(tmpdir(), 'inferd-bench-audit-'));
  installCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  const loadStart = loadAverage();
  const bodiesFile = join(tmp, 'bodies.txt');
  writeBodiesFile(bodiesFile);
  const dbPath = join(tmp, 'audit.db');
  const config = join(tmp, 'audit.yaml');
  writeFileSync(config, `audit:\n  enabled: true\n  path: ${JSON.stringify(dbPath)}\n  durability: async\n`);

  log('starting inferd with the audit trail off and on…');
  const servers: Record<Cell, Service> = { off: await startInferd('inferd (audit off)'), on: await startInferd('inferd (audit on)', config) };
  log('warming up…');
  let sent = 0; // answered by the audited server, warm-up included: each should become a record
  for (const cell of ['off', 'on'] as const) {
    const w = await measure(servers[cell], bodiesFile, quick ? 1 : 3);
    if (cell === 'on') sent += w.requests;
  }

  const samples: Record<Cell, Sample[]> = { off: [], on: [] };
  for (let rep = 0; rep < reps; rep++) {
    const order: Cell[] = rep % 2 ? ['on', 'off'] : ['off', 'on'];
    for (const cell of order) {
      const s = await measure(servers[cell], bodiesFile, durationS);
      samples[cell].push(s);
      if (cell === 'on') sent += s.requests;
      log(`run ${rep + 1}/${reps} audit ${cell.padEnd(3)} ${Math.round(s.rps)} req/s p50 ${ms(s.p50Us)} ms p99 ${ms(s.p99Us)} ms ${Math.round(s.cpuUsPerReq)} µs CPU/inf`);
    }
  }
  await servers.off.stop();
  await servers.on.stop(); // graceful: the audit buffer is flushed before exit
  const stored = storedRecords(dbPath);

  const markdown = render({ off: summarize(samples.off), on: summarize(samples.on) }, { reps, durationS, sent, stored, loadStart, quick });
  process.stdout.write(`${markdown}\n`);
  if (!values['no-append']) {
    appendToBenchmarks(markdown);
    log('appended to BENCHMARKS.md');
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
