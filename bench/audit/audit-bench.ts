/**
 * Observability overhead: requests/s, p50/p99 and CPU per inference for digits at 64 connections (wrk), in one run,
 * with four inferd processes side by side (each idle while another is measured), each started with its own
 * `--config` file:
 *   off         no tracing, no audit trail (the baseline);
 *   tracing 1%  OTLP/HTTP tracing, sample_ratio 0.01, exporting to a sink in this process;
 *   tracing 100% the same with sample_ratio 1 (every request traced);
 *   audit on    the audit trail (async durability, embedded SQLite, every request recorded).
 * Cells are interleaved per repetition (the order rotates each repetition). The sink answers 200 `{}` to
 * POST /v1/traces and counts the spans received; the audit store's records are counted after a graceful stop.
 * Appends a section to BENCHMARKS.md.
 *
 * Usage: npm run bench:observability [-- --quick] [-- --no-append]   (npm run bench:audit runs the same script)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
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
const CELLS = ['off', 'trace1', 'trace100', 'audit'] as const;
type Cell = (typeof CELLS)[number];
const LABEL: Record<Cell, string> = {
  off: 'off',
  trace1: 'tracing 1%',
  trace100: 'tracing 100%',
  audit: 'audit on (async, SQLite)',
};

const log = (msg: string): void => void process.stderr.write(`bench:observability: ${msg}\n`);

/** Starts inferd on the example models with a server config file. */
function startInferd(name: string, config: string): Promise<Service> {
  const args = [
    INFERD_CLI,
    'serve',
    '--model-repository',
    'models',
    '--http-port',
    '0',
    '--log-level',
    'info',
    '--config',
    config,
  ];
  return startService(name, process.execPath, args, { cwd: REPO_ROOT });
}

/** A minimal OTLP/HTTP (JSON) traces receiver: answers 200 `{}` and counts spans and root (`ingress`) spans. */
interface Sink {
  readonly endpoint: string;
  readonly counts: { posts: number; spans: number; roots: number; bad: number };
  close(): Promise<void>;
}

interface OtlpTraces {
  resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Array<{ name?: string }> }> }>;
}

async function startSink(): Promise<Sink> {
  const counts = { posts: 0, spans: 0, roots: 0, bad: 0 };
  const readBody = async (req: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
  };
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    readBody(req).then(
      (body) => {
        counts.posts++;
        try {
          const doc = JSON.parse(body.toString('utf8')) as OtlpTraces;
          for (const rs of doc.resourceSpans ?? [])
            for (const ss of rs.scopeSpans ?? [])
              for (const span of ss.spans ?? []) {
                counts.spans++;
                if (span.name === 'ingress') counts.roots++;
              }
        } catch {
          counts.bad++; // not OTLP JSON (e.g. protobuf): reported, and fails the run
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      () => {
        counts.bad++;
        res.writeHead(400).end();
      },
    );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
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
const x = (v: number) => `${v.toFixed(2)}×`;
const pct = (v: number) => `${(v * 100).toFixed(v < 0.1 ? 2 : 1)}%`;

/** wrk does not count requests still in flight when a run ends, so `stored` may exceed `sent` by a few. */
function recordsLine(sent: number, stored: number): string {
  if (stored >= sent)
    return `every answered request reached the store (${stored} records for ${sent} responses wrk counted)`;
  return `${stored} of ${sent} answered requests reached the store; about ${sent - stored} were dropped by the overflow policy`;
}

interface Facts {
  readonly reps: number;
  readonly durationS: number;
  readonly quick: boolean;
  readonly loadStart: string;
  /** Responses wrk counted per cell, warm-up included. */
  readonly sent: Record<Cell, number>;
  readonly stored: number;
  readonly sinks: Record<'trace1' | 'trace100', Sink['counts']>;
}

function tracingLine(cell: 'trace1' | 'trace100', sent: number, c: Sink['counts']): string {
  const perTrace = c.roots ? (c.spans / c.roots).toFixed(1) : '–';
  return `${LABEL[cell]}: ${c.spans} spans in ${c.posts} exports, ${c.roots} traces (\`ingress\` roots, ${perTrace} spans each) for ${sent} responses = ${pct(c.roots / sent)} of requests traced`;
}

function render(cells: Record<Cell, Summary>, f: Facts): string {
  const m = machineInfo();
  const off = cells.off;
  const spansCol = (cell: Cell) =>
    cell === 'trace1' || cell === 'trace100'
      ? String(f.sinks[cell].spans)
      : cell === 'audit'
        ? `${f.stored} records`
        : '–';
  const row = (cell: Cell) => {
    const s = cells[cell];
    return (
      `| ${LABEL[cell]} | ${Math.round(s.rps)} | ${Math.round(s.rpsMin)}–${Math.round(s.rpsMax)} | ${cell === 'off' ? '1' : x(s.rps / off.rps)} | ` +
      `${ms(s.p50Us)} | ${ms(s.p99Us)} | ${cell === 'off' ? '1' : x(s.p99Us / off.p99Us)} | ${Math.round(s.cpuUsPerReq)} | ${spansCol(cell)} |`
    );
  };
  const ratios = (cell: Cell) => {
    const s = cells[cell];
    return `${LABEL[cell]}: req/s ${x(s.rps / off.rps)}, p50 ${x(s.p50Us / off.p50Us)}, p99 ${x(s.p99Us / off.p99Us)}, CPU/inf ${x(s.cpuUsPerReq / off.cpuUsPerReq)}`;
  };
  return [
    `## Observability overhead (tracing, audit trail) — ${m.date} · ${m.commit}${f.quick ? ' · quick' : ''}`,
    '',
    `${m.cpuModel}, ${m.cores} cores · Node ${m.node} · ${m.wrk} · ` +
      `${f.reps === 1 ? '1 run' : `median of ${f.reps} runs`} of ${f.durationS} s per cell, interleaved (order rotated each run)`,
    '',
    `**Shared, noisy machine**: load average ${f.loadStart} at start, ${loadAverage()} at end (wrk, the bench and four inferd ` +
      `processes share ${m.cores} cores with other work). Read the range column (min–max over the runs) before the ratios: where two cells' ranges overlap, their difference is within run-to-run noise.`,
    '',
    `Model ${MODEL}, batch 1 per request, JSON over HTTP, wrk at ${CONNECTIONS} connections; one inferd process per cell, each with its own \`--config\`. ` +
      '**tracing**: `tracing: { otlp_endpoint: http://127.0.0.1:<port>/v1/traces, sample_ratio: 0.01 | 1 }` (slow_ms 500 default) to an OTLP/HTTP sink ' +
      'in the bench process that parses each export and answers 200 `{}`. **audit on**: `audit: { enabled: true, durability: async }` to embedded SQLite, ' +
      "every request recorded (sample_rate 1). CPU is the inferd process only (the sink's parsing is not counted).",
    '',
    '| cell | req/s | range | req/s ÷ off | p50 ms | p99 ms | p99 ÷ off | CPU µs/inf | spans received |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...CELLS.map(row),
    '',
    `**Overhead vs off** — ${(['trace1', 'trace100', 'audit'] as const).map(ratios).join('; ')}.`,
    '',
    `**Sink** — ${tracingLine('trace1', f.sent.trace1, f.sinks.trace1)}; ${tracingLine('trace100', f.sent.trace100, f.sinks.trace100)}. ` +
      `**Audit** — ${recordsLine(f.sent.audit, f.stored)}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, 'no-append': { type: 'boolean', default: false } },
  });
  const quick = values.quick;
  const reps = quick ? 1 : 3;
  const durationS = quick ? 3 : 10;
  const tmp = mkdtempSync(join(tmpdir(), 'inferd-bench-observability-'));
  const sinks = { trace1: await startSink(), trace100: await startSink() };
  installCleanup(() => {
    rmSync(tmp, { recursive: true, force: true });
  });
  const loadStart = loadAverage();
  const bodiesFile = join(tmp, 'bodies.txt');
  writeBodiesFile(bodiesFile);
  const dbPath = join(tmp, 'audit.db');
  const configs: Record<Cell, string> = {
    off: '# baseline: no tracing, no audit trail\n',
    trace1: `tracing:\n  otlp_endpoint: ${sinks.trace1.endpoint}\n  sample_ratio: 0.01\n`,
    trace100: `tracing:\n  otlp_endpoint: ${sinks.trace100.endpoint}\n  sample_ratio: 1\n`,
    audit: `audit:\n  enabled: true\n  path: ${JSON.stringify(dbPath)}\n  durability: async\n`,
  };
  const servers = {} as Record<Cell, Service>;
  for (const cell of CELLS) {
    const file = join(tmp, `${cell}.yaml`);
    writeFileSync(file, configs[cell]);
    log(`starting inferd (${LABEL[cell]})…`);
    servers[cell] = await startInferd(`inferd (${LABEL[cell]})`, file);
  }

  const sent = { off: 0, trace1: 0, trace100: 0, audit: 0 } as Record<Cell, number>;
  log('warming up…');
  for (const cell of CELLS) sent[cell] += (await measure(servers[cell], bodiesFile, quick ? 1 : 3)).requests;

  const samples = { off: [], trace1: [], trace100: [], audit: [] } as Record<Cell, Sample[]>;
  for (let rep = 0; rep < reps; rep++) {
    const order = CELLS.map((_, i) => CELLS[(i + rep) % CELLS.length]);
    for (const cell of order) {
      const s = await measure(servers[cell], bodiesFile, durationS);
      samples[cell].push(s);
      sent[cell] += s.requests;
      log(
        `run ${rep + 1}/${reps} ${LABEL[cell].padEnd(24)} ${Math.round(s.rps)} req/s p50 ${ms(s.p50Us)} ms p99 ${ms(s.p99Us)} ms ${Math.round(s.cpuUsPerReq)} µs CPU/inf`,
      );
    }
  }
  // Graceful stops: the tracer exports what is buffered and the audit buffer is flushed before exit.
  for (const cell of CELLS) await servers[cell].stop();
  const stored = storedRecords(dbPath);
  await Promise.all([sinks.trace1.close(), sinks.trace100.close()]);
  for (const k of ['trace1', 'trace100'] as const)
    if (sinks[k].counts.bad)
      throw new Error(`OTLP sink (${LABEL[k]}): ${sinks[k].counts.bad} exports were not OTLP JSON`);

  const summaries = Object.fromEntries(CELLS.map((c) => [c, summarize(samples[c])])) as Record<Cell, Summary>;
  const markdown = render(summaries, {
    reps,
    durationS,
    quick,
    loadStart,
    sent,
    stored,
    sinks: { trace1: sinks.trace1.counts, trace100: sinks.trace100.counts },
  });
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
