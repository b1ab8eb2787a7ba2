/**
 * Big request bodies against a model that takes few rows: how long the event loop is blocked, how long until the
 * refusal, and how much memory it costs; then the largest body a model allows, and how long decoding it blocks.
 * A probe (one digits row, V2 JSON) is sent every 10 ms on its own connection throughout.
 *
 *   npx tsc -b && node dist/bench/big-bodies.js [--instances 484000] [--concurrency 4]
 *
 * Runs the server in this process (the event loop measured is the server's); the client only writes buffers.
 */
import { request as httpRequest, Agent } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { resolveServerConfig, startServer } from '../src/index.js';
import { tempRepository } from '../test/helpers/server.js';

const { values: args } = parseArgs({
  options: {
    instances: { type: 'string', default: '484000' },
    concurrency: { type: 'string', default: '4' },
    'large-rows': { type: 'string', default: '65536' },
  },
});

/** A V1 row-format body of `rows` digits rows of 64 zeros: ~130 bytes a row (484k rows: 60 MiB). */
function v1Zeros(rows: number): Buffer {
  const row = `[${new Array(64).fill('0').join(',')}]`;
  return Buffer.from(`{"instances":[${new Array(rows).fill(row).join(',')}]}`);
}

/** A V1 body of `rows` rows of 64 numbers with many digits (the text a client's float formatting writes). */
function v1Digits(rows: number): Buffer {
  const row = `[${Array.from({ length: 64 }, (_, i) => (i / 64 + 0.000123456789).toFixed(12)).join(',')}]`;
  return Buffer.from(`{"instances":[${new Array(rows).fill(row).join(',')}]}`);
}

/** A V2 JSON body of `rows` rows (flat data) asking for the label as binary data, so the answer costs little. */
function v2Digits(rows: number): Buffer {
  const row = Array.from({ length: 64 }, (_, i) => (i / 64 + 0.000123456789).toFixed(12)).join(',');
  const data = new Array(rows).fill(row).join(',');
  return Buffer.from(
    `{"inputs":[{"name":"input","datatype":"FP32","shape":[${rows},64],"data":[${data}]}],"outputs":[{"name":"label","parameters":{"binary_data":true}}]}`,
  );
}

interface Sent {
  readonly status: number;
  readonly ms: number;
  readonly body: string;
}

function post(url: string, path: string, body: Buffer, agent: Agent): Promise<Sent> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest(
      `${url}${path}`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: text.slice(0, 200) }),
        );
      },
    );
    // A server that answers before reading the whole body may close the connection: that is a refusal too.
    req.on('error', (err) => resolve({ status: -1, ms: performance.now() - started, body: err.message }));
    req.end(body);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Runs `attack` while probing; reports the loop's longest block, RSS peak and the probe's latencies. */
async function measure(name: string, url: string, attack: () => Promise<Sent[]>): Promise<void> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 10);
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const probeBody = Buffer.from(
    JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0) }] }),
  );
  const probes: number[] = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const r = await post(url, '/v2/models/probe/infer', probeBody, probeAgent);
      if (r.status === 200) probes.push(r.ms);
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  loop.enable();
  const results = await attack();
  loop.disable();
  probing = false;
  await prober;
  clearInterval(sampler);
  probeAgent.destroy();
  probes.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      scenario: name,
      answers: results.map((r) => ({ status: r.status, ms: Math.round(r.ms), body: r.body.slice(0, 160) })),
      longest_block_ms: Math.round(loop.max / 1e6),
      rss_growth_mib: Math.round((rssPeak - rssBefore) / 2 ** 20),
      rss_peak_mib: Math.round(rssPeak / 2 ** 20),
      probes: probes.length,
      probe_p50_ms: Math.round(percentile(probes, 0.5)),
      probe_p99_ms: Math.round(percentile(probes, 0.99)),
      probe_max_ms: Math.round(probes.at(-1) ?? NaN),
    }),
  );
}

const largeRows = Number(args['large-rows']);
const repo = await tempRepository({
  small: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
  large: {
    onnx: 'models/digits/1/model.onnx',
    config: { file: 'config.yaml', text: `max_batch_size: ${largeRows}\n` },
  },
  probe: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
});
const server = await startServer(
  resolveServerConfig({
    model_repository: repo.dir,
    http_port: 0,
    grpc_port: -1,
    metrics_port: -1,
    host: '127.0.0.1',
    log_level: 'silent',
  }),
);
try {
  const big = v1Zeros(Number(args.instances));
  console.log(JSON.stringify({ body_bytes: big.length, instances: Number(args.instances) }));
  const n = Number(args.concurrency);
  await measure('one big V1 body, small model', server.url, async () => [
    await post(server.url, '/v1/models/small:predict', big, new Agent()),
  ]);
  await measure(`${n} big V1 bodies at once, small model`, server.url, () =>
    Promise.all(Array.from({ length: n }, () => post(server.url, '/v1/models/small:predict', big, new Agent()))),
  );
  const allowed = v1Digits(largeRows);
  console.log(JSON.stringify({ allowed_body_bytes: allowed.length, rows: largeRows }));
  await measure('largest allowed V1 body, large model', server.url, async () => [
    await post(server.url, '/v1/models/large:predict', allowed, new Agent()),
  ]);
  const v2 = v2Digits(largeRows);
  console.log(JSON.stringify({ allowed_v2_body_bytes: v2.length, rows: largeRows }));
  await measure('largest allowed V2 JSON body (binary answer), large model', server.url, async () => [
    await post(server.url, '/v2/models/large/infer', v2, new Agent()),
  ]);
} finally {
  await server.close();
  await repo.cleanup();
}
