/** Aggregates samples into medians, checks the targets, renders markdown and appends it to BENCHMARKS.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BatchingResult } from './batching.js';
import type { ComputeResult } from './compute-limit.js';
import type { MachineInfo } from './machine.js';
import type { OverloadResult } from './overload.js';
import { BENCHMARKS_MD } from './paths.js';
import { renderOverloadAtCapacity, renderPriorityOverload, type PriorityOverloadRun } from './priority-report.js';
import { renderTransports, type TransportResult } from './transports.js';
import { median } from './stats.js';

export interface Sample {
  readonly rps: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly cpuUsPerReq: number;
}

export interface Summary extends Sample {
  readonly rpsMin: number;
  readonly rpsMax: number;
  readonly runs: number;
}

/** Median of each metric on its own over the repeated runs. */
export function summarize(samples: readonly Sample[]): Summary {
  const rps = samples.map((s) => s.rps);
  return {
    rps: median(rps),
    p50Us: median(samples.map((s) => s.p50Us)),
    p99Us: median(samples.map((s) => s.p99Us)),
    cpuUsPerReq: median(samples.map((s) => s.cpuUsPerReq)),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    runs: samples.length,
  };
}

export interface Row {
  readonly model: string;
  readonly conns: number;
  readonly inferd: Summary;
  readonly naive: Summary;
  readonly http: Summary;
  /** Compute limit at the batch the connection count allows (1 → 1, 8 → 8, 64 → 64). */
  readonly compute: ComputeResult | undefined;
}

export interface Target {
  readonly name: string;
  readonly value: number;
  readonly threshold: number;
  readonly atMost: boolean;
  readonly met: boolean;
}

function row(rows: readonly Row[], model: string, conns: number): Row | undefined {
  return rows.find((r) => r.model === model && r.conns === conns);
}

function target(name: string, value: number, threshold: number, atMost = false): Target {
  return { name, value, threshold, atMost, met: atMost ? value <= threshold : value >= threshold };
}

export function evaluateTargets(rows: readonly Row[]): Target[] {
  const out: Target[] = [];
  const heavy64 = row(rows, 'mlp_heavy', 64);
  if (heavy64)
    out.push(target('mlp_heavy, 64 conns: inferd req/s ≥ 2.5× naive', heavy64.inferd.rps / heavy64.naive.rps, 2.5));
  const digits64 = row(rows, 'digits', 64);
  if (digits64) {
    out.push(target('digits, 64 conns: inferd req/s ≥ 1.3× naive', digits64.inferd.rps / digits64.naive.rps, 1.3));
    out.push(target('digits, 64 conns: inferd req/s ≥ 0.6× HTTP limit', digits64.inferd.rps / digits64.http.rps, 0.6));
  }
  for (const model of ['digits', 'mlp_heavy']) {
    const r = row(rows, model, 1);
    if (r)
      out.push(target(`${model}, 1 conn: inferd p50 ≤ 1.25× naive p50`, r.inferd.p50Us / r.naive.p50Us, 1.25, true));
  }
  return out;
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toString() : '–');
const ms = (us: number): string => (Number.isFinite(us) ? (us / 1000).toFixed(2) : '–');
const x = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const pct = (n: number): string => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : '–');
const mib = (kb: number): string => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MiB` : '–');

function table(header: string[], body: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export interface ReportInput {
  readonly machine: MachineInfo;
  readonly mode: 'full' | 'quick';
  /** Repository inferd served, when not the default. */
  readonly inferdModels: string;
  readonly reps: number;
  readonly durationS: number;
  readonly loadStart: string;
  readonly loadEnd: string;
  readonly rows: readonly Row[];
  readonly compute: readonly ComputeResult[];
  readonly batching: BatchingResult | undefined;
  readonly overload: OverloadResult | undefined;
  readonly transports?: TransportResult;
  readonly priorityOverload?: PriorityOverloadRun | undefined;
  /** The overload at 4× capacity, open loop, one priority level. */
  readonly openOverload?: PriorityOverloadRun | undefined;
  /** The load/unload isolation section, rendered (lifecycle-isolation.ts). */
  readonly lifecycle?: string | undefined;
  readonly elapsedS: number;
}

export function renderReport(r: ReportInput): string {
  const m = r.machine;
  const parts: string[] = [];
  parts.push(
    `## Online serving — ${m.date} · ${m.commit} · ${r.mode}${r.inferdModels === 'models' ? '' : ` · inferd serving ${r.inferdModels}`}`,
  );
  parts.push(
    `${m.cpuModel}, ${m.cores} cores · Node ${m.node} · onnxruntime-node ${m.onnxruntime} · ${m.wrk} · ` +
      `load average ${r.loadStart} at start, ${r.loadEnd} at end · ${r.reps === 1 ? '1 run' : `median of ${r.reps} runs`} of ${r.durationS} s per cell · bench took ${Math.round(r.elapsedS)} s`,
  );
  parts.push(
    table(
      [
        'model',
        'conns',
        'inferd req/s',
        'p50 ms',
        'p99 ms',
        'CPU µs/inf',
        'naive req/s',
        'p50 ms',
        'p99 ms',
        'CPU µs/inf',
        'HTTP limit req/s',
        'compute limit rows/s (batch)',
        'inferd/naive',
        'inferd/compute',
        'inferd/HTTP',
        'p50 inferd/naive',
      ],
      r.rows.map((w) => [
        w.model,
        String(w.conns),
        int(w.inferd.rps),
        ms(w.inferd.p50Us),
        ms(w.inferd.p99Us),
        int(w.inferd.cpuUsPerReq),
        int(w.naive.rps),
        ms(w.naive.p50Us),
        ms(w.naive.p99Us),
        int(w.naive.cpuUsPerReq),
        int(w.http.rps),
        w.compute ? `${int(w.compute.rowsPerS)} (${w.compute.batch})` : '–',
        x(w.inferd.rps / w.naive.rps),
        w.compute ? x(w.inferd.rps / w.compute.rowsPerS) : '–',
        x(w.inferd.rps / w.http.rps),
        x(w.inferd.p50Us / w.naive.p50Us),
      ]),
    ),
  );
  parts.push(
    '**Targets**\n\n' +
      evaluateTargets(r.rows)
        .map((t) => `- ${t.met ? '✅ met' : '❌ not met'}: ${t.name} — measured ${t.value.toFixed(2)}×`)
        .join('\n'),
  );
  if (r.reps > 1) {
    parts.push(
      '**Spread of req/s over the runs (min–max)**\n\n' +
        table(
          ['model', 'conns', 'inferd', 'naive', 'HTTP limit'],
          r.rows.map((w) => [
            w.model,
            String(w.conns),
            ...[w.inferd, w.naive, w.http].map((s) => `${int(s.rpsMin)}–${int(s.rpsMax)}`),
          ]),
        ),
    );
  }
  if (r.transports) parts.push(renderTransports(r.transports));
  const batches = [...new Set(r.compute.map((c) => c.batch))].sort((a, b) => a - b);
  parts.push(
    '**Compute limit** (in-process onnxruntime, intraOpNumThreads 1, rows/s; µs per session.run in parentheses)\n\n' +
      table(
        ['model', ...batches.map((b) => `batch ${b}`)],
        [...new Set(r.compute.map((c) => c.model))].map((model) => [
          model,
          ...batches.map((b) => {
            const c = r.compute.find((e) => e.model === model && e.batch === b);
            return c ? `${int(c.rowsPerS)} (${c.usPerRun.toFixed(0)} µs)` : '–';
          }),
        ]),
      ),
  );
  if (r.batching) {
    const b = r.batching;
    parts.push(
      '**Batches inferd formed** (in-process probe reading the scheduler statistics; its own short runs)\n\n' +
        (b.error ? `Statistics unavailable: ${b.error}\n\n` : '') +
        table(
          [
            'model',
            'conns',
            'req/s',
            'runtime calls',
            'mean rows/call',
            'most common sizes',
            'µs per call',
            'worker busy',
            'mean queue wait µs',
          ],
          b.rows.map((w) => [
            w.model,
            String(w.conns),
            int(w.rps),
            String(w.executions),
            w.meanBatch.toFixed(1),
            w.topSizes.map((t) => `${t.size} (${pct(t.share)})`).join(', '),
            w.computeUsPerRun.toFixed(0),
            pct(w.workerBusy),
            int(w.queueUs),
          ]),
        ),
    );
  }
  if (r.overload) {
    const o = r.overload;
    const f = o.flood;
    const st = f.status;
    const offered = f.rps;
    parts.push(
      `**Flood, closed loop** (inferd serving a copy of digits with max_queue_size ${o.maxQueueSize}; wrk ${o.connections} connections = 4× the 64 that saturate it, closed loop, ${o.durationS} s. ` +
        `Here the front end itself is saturated: each of the ${o.connections} connections sends again the moment it is answered, so every request, refused or not, ` +
        `first waits its turn to be read, and answer times follow connections ÷ responses per second)\n\n` +
        [
          `- process stayed up: ${o.aliveAfter ? 'yes' : '**NO**'}; GET /v2/health/live afterwards: ${o.healthAfter || 'no answer'}`,
          `- capacity before (64 conns): ${int(o.capacityRps)} req/s; under the flood: ${int(offered)} responses/s (${x(offered / o.capacityRps)} capacity), ` +
            `of which ${st ? `${int(st.ok / (f.durationUs / 1e6))} 2xx/s and ${int(st.s503 / (f.durationUs / 1e6))} 503/s` : 'unknown'}`,
          `- responses: ${st ? `${st.ok} 2xx, ${st.s503} 503 (${pct(st.s503 / Math.max(1, f.requests))}), ${st.other} other` : `${f.non2xx} non-2xx`}; ` +
            `socket errors: connect ${f.connectErrors}, read ${f.readErrors}, write ${f.writeErrors}, timeouts ${f.timeouts}`,
          `- 503s answered in (probe, ${o.probe.rejected.count} samples): p50 ${ms(o.probe.rejected.p50Us)} ms, p99 ${ms(o.probe.rejected.p99Us)} ms`,
          `- admitted requests (probe, ${o.probe.admitted.count} samples): p50 ${ms(o.probe.admitted.p50Us)} ms, p99 ${ms(o.probe.admitted.p99Us)} ms vs unloaded (1 conn) p50 ${ms(o.unloaded.p50Us)} ms, p99 ${ms(o.unloaded.p99Us)} ms` +
            (o.probe.other ? `; ${o.probe.other} probe requests failed otherwise` : ''),
          `- all responses under the flood (wrk): p50 ${ms(f.p50Us)} ms, p99 ${ms(f.p99Us)} ms; CPU ${int(o.cpuUsPerResponse)} µs per response`,
          `- RSS before ${mib(o.rssBeforeKb)}, after ${mib(o.rssAfterKb)}, peak ${mib(o.peakRssKb)}; 1 conn right after: p50 ${ms(o.after.p50Us)} ms, p99 ${ms(o.after.p99Us)} ms`,
        ].join('\n'),
    );
  }
  if (r.openOverload) parts.push(renderOverloadAtCapacity(r.openOverload));
  if (r.priorityOverload) parts.push(renderPriorityOverload(r.priorityOverload));
  if (r.lifecycle) parts.push(r.lifecycle.trim());
  return `${parts.join('\n\n')}\n`;
}

const HEADER = `# Benchmarks

Produced by \`npm run bench\` (\`bench/run.ts\`; \`npm run bench -- --quick\` for a short smoke run). Each run appends a section headed "Online serving"; other sections come from other scripts (e.g. \`bench/tree/\`).

Method, in one run on one machine, everything on 127.0.0.1:

- **inferd**: \`inferd serve --model-repository models\` in its own process (dynamic batching, sessions in worker threads).
- **naive**: \`bench/naive-peer.ts\`, what a user would write instead: fastify + onnxruntime-node, one \`session.run\` per request on the main thread, default session options, same V2 JSON request and response.
- **HTTP limit**: \`bench/http-limit.ts\`, fastify parsing the same JSON body and answering a fixed reply (no model). Measured once per connection count and shown for both models.
- **compute limit**: in-process onnxruntime, \`intraOpNumThreads 1\`, a timed loop of \`session.run\`; rows/s at the batch size that the connection count allows (1, 8, 64).
- Load: wrk (\`-t1\`, keep-alive) with \`bench/wrk/post-cycle.lua\` cycling the 32 digits reference rows as batch-1 V2 requests; any non-2xx or socket error fails the run. p50/p99 are wrk's latency percentiles.
- **CPU µs/inf**: utime+stime of the server process (all threads, /proc/<pid>/stat) over the wrk run, divided by requests answered.
- Servers run side by side, idle while another is measured; runs are interleaved (inferd, naive, HTTP limit, then reversed) so drift in machine load spreads over all of them. Each cell is the median of repeated runs.
- wrk shares the machine's cores with the server under test, so on a 2-core box the numbers include that contention.
`;

/** Appends a section; puts the method header on top when the file lacks it, keeping what others wrote. */
export function appendToBenchmarks(markdown: string): void {
  const current = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : '';
  const body = current.startsWith('# Benchmarks')
    ? current
    : `${HEADER}${current.trim() ? `\n${current.trim()}\n` : ''}`;
  writeFileSync(BENCHMARKS_MD, `${body.trimEnd()}\n\n${markdown}`);
}
