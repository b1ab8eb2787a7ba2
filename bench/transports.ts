/**
 * Transport comparison against one running inferd, every transport driven by a load generator written in C so
 * that the client costs the server's two cores little and the same for each: JSON HTTP and binary HTTP (Triton's
 * binary tensor extension) by wrk, gRPC ModelInfer (raw_input_contents, one channel carrying every call, as a
 * gRPC client does) by h2load. Each workload is a model and a number of rows per request: one row, and 32 rows
 * (a caller scoring many candidates at once). Before measuring, checks that the three transports give
 * bit-identical logits and equal labels for the same rows.
 */
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  binaryInferBody,
  inferBody,
  referenceRows,
  requestRows,
  writeBinaryBodiesFile,
  writeBodiesFile,
} from './bodies.js';
import type { Service } from './children.js';
import { grpcInferFrame, grpcInferRequest, inferClient } from './grpc-client.js';
import { h2loadAvailable, runH2load } from './h2load.js';
import { cpuMicros, threadCpuMicros } from './process-stats.js';
import { summarize, type Sample, type Summary } from './report.js';
import { median } from './stats.js';
import { assertClean, runWrk } from './wrk.js';

export const TRANSPORTS = ['json', 'binary', 'grpc'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const TRANSPORT_LABEL: Record<Transport, { name: string; client: string }> = {
  json: { name: 'JSON HTTP', client: 'wrk' },
  binary: { name: 'Binary HTTP', client: 'wrk' },
  grpc: { name: 'gRPC', client: 'h2load, 1 channel' },
};

/** What each transport is compared with. */
export const BASELINE: Partial<Record<Transport, Transport>> = { binary: 'json', grpc: 'json' };

export interface Workload {
  readonly model: string;
  readonly rowsPerRequest: number;
}

export interface TransportSample extends Sample {
  /** wrk only: bytes read per response, HTTP headers included. */
  readonly responseBytes: number;
  /** CPU of inferd's main thread (the transport's work: receive, parse, schedule, encode, send) per request. */
  readonly mainCpuUsPerReq: number;
}

export interface TransportSummary extends Summary {
  readonly responseBytes: number;
  readonly mainCpuUsPerReq: number;
}

export interface TransportRow {
  readonly workload: Workload;
  readonly transport: Transport;
  readonly s: TransportSummary;
}

export interface AgreementCheck {
  readonly ok: boolean;
  /** (model, row) pairs compared across the three transports. */
  readonly compared: number;
  readonly problems: string[];
}

export interface TransportResult {
  readonly conns: number;
  readonly reps: number;
  readonly durationS: number;
  readonly check: AgreementCheck;
  readonly rows: TransportRow[];
}

interface Answer {
  readonly logits: Float32Array;
  readonly label: bigint;
}

function post(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`POST ${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Copies little-endian bytes into an aligned typed array. */
function floats(bytes: Buffer): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

interface JsonOutput {
  name: string;
  datatype: string;
  shape: number[];
  data?: Array<number | string>;
  parameters?: { binary_data_size?: number };
}

async function viaJson(url: string, row: readonly number[]): Promise<Answer> {
  const r = await post(url, Buffer.from(inferBody(row), 'utf8'), { 'content-type': 'application/json' });
  if (r.status !== 200) throw new Error(`JSON HTTP answered ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
  const outputs = (JSON.parse(r.body.toString('utf8')) as { outputs: JsonOutput[] }).outputs;
  const logits = outputs.find((o) => o.name === 'logits');
  const label = outputs.find((o) => o.name === 'label');
  if (!logits?.data || !label?.data || logits.shape.join() !== '1,10')
    throw new Error(`JSON HTTP: unexpected response ${r.body.toString('utf8').slice(0, 300)}`);
  // Float32Array.from rounds each double to float32; exact when the server printed the float32 value faithfully.
  return { logits: Float32Array.from(logits.data.map(Number)), label: BigInt(label.data[0]) };
}

async function viaBinary(url: string, row: readonly number[]): Promise<Answer> {
  const b = binaryInferBody(row);
  const r = await post(url, b.body, {
    'content-type': 'application/octet-stream',
    'inference-header-content-length': String(b.headerLength),
  });
  if (r.status !== 200) throw new Error(`binary HTTP answered ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
  const headerLength = Number(r.headers['inference-header-content-length']);
  if (!Number.isInteger(headerLength) || headerLength > r.body.length)
    throw new Error(
      `binary HTTP: response without a valid Inference-Header-Content-Length (${r.headers['inference-header-content-length']})`,
    );
  const outputs = (JSON.parse(r.body.subarray(0, headerLength).toString('utf8')) as { outputs: JsonOutput[] }).outputs;
  let at = headerLength;
  const raw = new Map<string, Buffer>();
  for (const o of outputs) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) throw new Error(`binary HTTP: output ${o.name} is not binary (asked binary_data_output)`);
    raw.set(o.name, r.body.subarray(at, at + size));
    at += size;
  }
  if (at !== r.body.length) throw new Error(`binary HTTP: ${r.body.length - at} bytes after the outputs`);
  const logits = raw.get('logits');
  const label = raw.get('label');
  if (!logits || logits.length !== 40 || !label || label.length !== 8)
    throw new Error('binary HTTP: logits must be 40 bytes and label 8');
  return { logits: floats(logits), label: label.readBigInt64LE(0) };
}

async function viaGrpc(client: ReturnType<typeof inferClient>, model: string, row: readonly number[]): Promise<Answer> {
  const res = await client.infer(grpcInferRequest(model, row));
  const index = (name: string) => res.outputs.findIndex((o) => o.name === name);
  const logits = res.raw_output_contents[index('logits')];
  const label = res.raw_output_contents[index('label')];
  if (!logits || logits.length !== 40 || !label || label.length !== 8)
    throw new Error('gRPC: logits must be 40 raw bytes and label 8');
  return { logits: floats(logits), label: label.readBigInt64LE(0) };
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

/** Same rows through the three transports: logits must be bit-identical float32 values and labels equal. */
export async function checkTransportsAgree(
  inferd: Service,
  models: readonly string[],
  rowCount = 4,
): Promise<AgreementCheck> {
  if (!inferd.grpcUrl) return { ok: false, compared: 0, problems: ['inferd logged no grpc_url'] };
  const client = inferClient(inferd.grpcUrl);
  const rows = referenceRows().slice(0, rowCount);
  const problems: string[] = [];
  let compared = 0;
  try {
    for (const model of models) {
      const url = `${inferd.url}/v2/models/${model}/infer`;
      for (let i = 0; i < rows.length; i++) {
        try {
          const [json, binary, grpcAnswer] = await Promise.all([
            viaJson(url, rows[i]),
            viaBinary(url, rows[i]),
            viaGrpc(client, model, rows[i]),
          ]);
          compared++;
          for (const [name, other] of [
            ['binary HTTP', binary],
            ['gRPC', grpcAnswer],
          ] as const) {
            if (!sameBits(json.logits, other.logits))
              problems.push(
                `${model} row ${i}: ${name} logits [${[...other.logits].join(', ')}] ≠ JSON [${[...json.logits].join(', ')}]`,
              );
            if (json.label !== other.label)
              problems.push(`${model} row ${i}: ${name} label ${other.label} ≠ JSON ${json.label}`);
          }
        } catch (err) {
          problems.push(`${model} row ${i}: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    client.client.close();
  }
  return { ok: problems.length === 0, compared, problems };
}

interface WorkloadFiles {
  readonly json: string;
  readonly binary: string;
  readonly grpc: string;
}

function writeWorkloadFiles(dir: string, w: Workload): WorkloadFiles {
  const base = join(dir, `${w.model}-${w.rowsPerRequest}`);
  const files = { json: `${base}.json.txt`, binary: `${base}.binary.bin`, grpc: `${base}.grpc.bin` };
  writeBodiesFile(files.json, w.rowsPerRequest);
  writeBinaryBodiesFile(files.binary, w.rowsPerRequest);
  writeFileSync(files.grpc, grpcInferFrame(w.model, requestRows(w.rowsPerRequest)[0]));
  return files;
}

/** The model's failed-request count from the statistics endpoint (h2load cannot see gRPC statuses). */
async function failures(inferd: Service, model: string): Promise<{ ok: number; failed: number }> {
  const res = await fetch(`${inferd.url}/v2/models/${model}/stats`);
  const body = (await res.json()) as {
    model_stats: Array<{ inference_stats: { success: { count: number }; fail: { count: number } } }>;
  };
  return body.model_stats.reduce(
    (n, v) => ({ ok: n.ok + v.inference_stats.success.count, failed: n.failed + v.inference_stats.fail.count }),
    { ok: 0, failed: 0 },
  );
}

function label(transport: Transport, w: Workload, conns: number): string {
  return `${TRANSPORT_LABEL[transport].name} via ${TRANSPORT_LABEL[transport].client}, ${w.model} × ${w.rowsPerRequest} rows, ${conns} in flight`;
}

async function measureOne(
  inferd: Service,
  transport: Transport,
  w: Workload,
  files: WorkloadFiles,
  o: { conns: number; durationS: number },
): Promise<TransportSample> {
  const what = label(transport, w, o.conns);
  const dead = (when: string) =>
    new Error(`${inferd.name} is gone ${when} (${inferd.exitStatus()}); its last output:\n${inferd.tail()}`);
  if (!inferd.alive()) throw dead(`before ${what}`);
  const before = cpuMicros(inferd.pid);
  const mainBefore = threadCpuMicros(inferd.pid);
  let sample: TransportSample;
  if (transport === 'grpc') {
    const stats0 = await failures(inferd, w.model);
    const cpu0 = cpuMicros(inferd.pid);
    const main0 = threadCpuMicros(inferd.pid);
    const r = await runH2load({
      url: `http://${inferd.grpcUrl}/inference.GRPCInferenceService/ModelInfer`,
      bodyFile: files.grpc,
      connections: 1,
      streamsPerConnection: o.conns,
      durationS: o.durationS,
    });
    const cpuUs = cpuMicros(inferd.pid) - cpu0;
    const mainUs = threadCpuMicros(inferd.pid) - main0;
    const stats1 = await failures(inferd, w.model);
    const failed = stats1.failed - stats0.failed;
    if (failed > 0 || r.failed > 0 || r.errored > 0 || r.non2xx > 0 || r.requests === 0) {
      throw new Error(
        `${what}: ${failed} failed calls on the server, h2load: ${r.requests} succeeded, ${r.failed} failed, ${r.errored} errored, ${r.non2xx} non-2xx`,
      );
    }
    // h2load stops at the deadline with calls in flight; the server answered those too.
    const answered = Math.max(r.requests, stats1.ok - stats0.ok);
    sample = {
      rps: r.rps,
      p50Us: r.p50Us,
      p99Us: r.p99Us,
      cpuUsPerReq: cpuUs / answered,
      mainCpuUsPerReq: mainUs / answered,
      responseBytes: NaN,
    };
  } else {
    const url = `${inferd.url}/v2/models/${w.model}/infer`;
    const binary = transport === 'binary';
    const r = await runWrk({
      url,
      connections: o.conns,
      durationS: o.durationS,
      bodiesFile: binary ? files.binary : files.json,
      binary,
    });
    const cpuUs = cpuMicros(inferd.pid) - before;
    const mainUs = threadCpuMicros(inferd.pid) - mainBefore;
    assertClean(r, what);
    sample = {
      rps: r.rps,
      p50Us: r.p50Us,
      p99Us: r.p99Us,
      cpuUsPerReq: cpuUs / r.requests,
      mainCpuUsPerReq: mainUs / r.requests,
      responseBytes: r.bytes / r.requests,
    };
  }
  if (!inferd.alive()) throw dead(`after ${what}`);
  return sample;
}

const workloadKey = (w: Workload) => `${w.model}|${w.rowsPerRequest}`;

export async function runTransports(o: {
  inferd: Service;
  workloads: readonly Workload[];
  conns: number;
  reps: number;
  durationS: number;
  warmupS: number;
  /** Where the request files are written. */
  tmpDir: string;
  log: (msg: string) => void;
}): Promise<TransportResult> {
  if (!o.inferd.grpcUrl) throw new Error(`inferd logged no grpc_url; its output:\n${o.inferd.tail()}`);
  if (!h2loadAvailable())
    throw new Error('h2load is not installed; it drives the gRPC rows. Install it: apt-get install nghttp2-client');
  const models = [...new Set(o.workloads.map((w) => w.model))];
  const check = await checkTransportsAgree(o.inferd, models);
  o.log(
    check.ok
      ? `transports agree: logits bit-identical (float32) and labels equal over JSON HTTP, binary HTTP and gRPC for ${check.compared} (model, row) pairs`
      : `TRANSPORTS DISAGREE (${check.problems.length} problems):\n  ${check.problems.slice(0, 10).join('\n  ')}`,
  );
  const files = new Map(o.workloads.map((w) => [workloadKey(w), writeWorkloadFiles(o.tmpDir, w)]));
  for (const w of o.workloads)
    for (const transport of TRANSPORTS)
      await measureOne(o.inferd, transport, w, files.get(workloadKey(w))!, { conns: o.conns, durationS: o.warmupS });
  const samples = new Map<string, TransportSample[]>();
  for (let rep = 0; rep < o.reps; rep++) {
    for (const w of o.workloads) {
      const order: Transport[] = [...TRANSPORTS];
      if (rep % 2 === 1) order.reverse();
      for (const transport of order) {
        const s = await measureOne(o.inferd, transport, w, files.get(workloadKey(w))!, {
          conns: o.conns,
          durationS: o.durationS,
        });
        const key = `${workloadKey(w)}|${transport}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
        o.log(
          `transports run ${rep + 1}/${o.reps} ${w.model} ×${w.rowsPerRequest} ${TRANSPORT_LABEL[transport].name.padEnd(11)} ${Math.round(s.rps)} req/s ` +
            `p50 ${(s.p50Us / 1000).toFixed(2)} ms p99 ${(s.p99Us / 1000).toFixed(2)} ms ${Math.round(s.cpuUsPerReq)} µs CPU/req (main thread ${Math.round(s.mainCpuUsPerReq)})`,
        );
      }
    }
  }
  const rows: TransportRow[] = [];
  for (const w of o.workloads) {
    for (const transport of TRANSPORTS) {
      const list = samples.get(`${workloadKey(w)}|${transport}`) ?? [];
      rows.push({
        workload: w,
        transport,
        s: {
          ...summarize(list),
          responseBytes: median(list.map((s) => s.responseBytes)),
          mainCpuUsPerReq: median(list.map((s) => s.mainCpuUsPerReq)),
        },
      });
    }
  }
  return { conns: o.conns, reps: o.reps, durationS: o.durationS, check, rows };
}

export interface TransportVerdict {
  readonly workload: Workload;
  readonly transport: Transport;
  readonly baseline: Transport;
  readonly rpsRatio: number;
  readonly cpuRatio: number;
  /** Main-thread CPU per request ÷ the baseline's: the transport's own cost, without the model's compute. */
  readonly mainCpuRatio: number;
  readonly met: boolean;
}

export const REQUIREMENT = 'binary transport must beat JSON on requests/s and on CPU per inference';

/** Binary HTTP and gRPC each against JSON HTTP, per workload. */
export function evaluateTransports(r: TransportResult): TransportVerdict[] {
  const out: TransportVerdict[] = [];
  for (const row of r.rows) {
    const baseline = BASELINE[row.transport];
    if (!baseline) continue;
    const base = r.rows.find((b) => workloadKey(b.workload) === workloadKey(row.workload) && b.transport === baseline);
    if (!base) continue;
    const rpsRatio = row.s.rps / base.s.rps;
    const cpuRatio = row.s.cpuUsPerReq / base.s.cpuUsPerReq;
    const mainCpuRatio = row.s.mainCpuUsPerReq / base.s.mainCpuUsPerReq;
    out.push({
      workload: row.workload,
      transport: row.transport,
      baseline,
      rpsRatio,
      cpuRatio,
      mainCpuRatio,
      met: rpsRatio > 1 && cpuRatio < 1,
    });
  }
  return out;
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toString() : '–');
const ms = (us: number): string => (Number.isFinite(us) ? (us / 1000).toFixed(2) : '–');
const x = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const rowsLabel = (w: Workload): string => (w.rowsPerRequest === 1 ? '1 row' : `${w.rowsPerRequest} rows`);

export function renderTransports(r: TransportResult): string {
  const verdicts = evaluateTransports(r);
  const header = [
    'model',
    'rows/request',
    'transport',
    'client',
    'req/s',
    ...(r.reps > 1 ? ['req/s min–max'] : []),
    'p50 ms',
    'p99 ms',
    'server CPU µs/req',
    'main thread CPU µs/req',
    'resp bytes (wrk)',
    'req/s ÷ JSON',
    'CPU/req ÷ JSON',
    'main thread CPU/req ÷ JSON',
  ];
  const body = r.rows.map((w) => {
    const v = verdicts.find((e) => workloadKey(e.workload) === workloadKey(w.workload) && e.transport === w.transport);
    return [
      w.workload.model,
      String(w.workload.rowsPerRequest),
      TRANSPORT_LABEL[w.transport].name,
      TRANSPORT_LABEL[w.transport].client,
      int(w.s.rps),
      ...(r.reps > 1 ? [`${int(w.s.rpsMin)}–${int(w.s.rpsMax)}`] : []),
      ms(w.s.p50Us),
      ms(w.s.p99Us),
      int(w.s.cpuUsPerReq),
      int(w.s.mainCpuUsPerReq),
      int(w.s.responseBytes),
      v ? x(v.rpsRatio) : 'baseline',
      v ? x(v.cpuRatio) : 'baseline',
      v ? x(v.mainCpuRatio) : 'baseline',
    ];
  });
  const table = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((b) => `| ${b.join(' | ')} |`),
  ].join('\n');
  const check = r.check.ok
    ? `Answer check: ✅ for ${r.check.compared} (model, row) pairs the logits are bit-identical float32 values and the labels equal over JSON HTTP, binary HTTP and gRPC.`
    : `Answer check: ❌ the transports disagree (${r.check.problems.length}): ${r.check.problems.slice(0, 5).join('; ')}`;
  const lines = verdicts.map(
    (v) =>
      `- ${v.met ? '✅ met' : '❌ not met'}: ${v.workload.model}, ${rowsLabel(v.workload)} per request, ${TRANSPORT_LABEL[v.transport].name} vs ${TRANSPORT_LABEL[v.baseline].name} — req/s ${x(v.rpsRatio)}, CPU per inference ${x(v.cpuRatio)} (main thread ${x(v.mainCpuRatio)})`,
  );
  return [
    `**Transports** (same inferd process; ${r.conns} in flight; ${r.reps === 1 ? '1 run' : `median of ${r.reps} runs`} of ${r.durationS} s per cell)`,
    'JSON HTTP and binary HTTP (Triton binary tensor extension: JSON header + raw FP32 bytes in, binary outputs back) are driven by wrk (`-t1`, ' +
      `${r.conns} connections, \`bench/wrk/post-cycle.lua\` / \`post-binary-cycle.lua\`); gRPC (\`ModelInfer\`, \`raw_input_contents\`) by h2load (\`-t1\`, one connection carrying ${r.conns} concurrent calls, as one gRPC channel does). ` +
      "Both clients are written in C, so each costs the shared two cores little. h2load cannot read gRPC statuses: the server's failure count is checked to be unchanged after each gRPC run. " +
      "Server CPU µs/req is inferd's utime+stime over the run divided by requests answered (a request of 32 rows is one request); main thread CPU is the same for inferd's main thread alone (`/proc/<pid>/task/<pid>/stat`): the transport's own work, without the model workers' compute, which is the same whatever the transport. Ratios: each transport ÷ JSON HTTP for the same workload.",
    check,
    table,
    `Requirement (issue): "${REQUIREMENT}".\n\n${lines.join('\n')}`,
  ].join('\n\n');
}
