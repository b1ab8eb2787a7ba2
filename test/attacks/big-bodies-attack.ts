/**
 * Big bodies: V1 bodies with far more instances than the model batches (4 at once, 16 MiB and 120,000 instances
 * each; the were 60 MiB and 484k), and a large V2 JSON body the model does take, decoded while the probe
 * keeps being answered. The server must refuse the first from their Content-Length before reading them and decode the
 * second off the event loop.
 */
import { Agent, request } from 'node:http';
import { resolveServerConfig, startServer } from '../../src/index.js';
import { tempRepository } from '../helpers/server.js';
import type { AttackScenario, AttackSetup, ProbeRequest } from './attack.js';

const DIGITS = 'models/digits/1/model.onnx';

const PROBE: ProbeRequest = {
  path: '/v2/models/probe/infer',
  body: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) }] },
};

/** A V1 row-format body of `rows` rows of 64 numbers written as `value`. */
function v1Body(rows: number, value: (i: number) => string): Buffer {
  const row = `[${Array.from({ length: 64 }, (_, i) => value(i)).join(',')}]`;
  return Buffer.from(`{"instances":[${new Array(rows).fill(row).join(',')}]}`);
}

/** POSTs `body` with its Content-Length; settles on the answer or on the connection's end (a refusal may close it). */
function send(url: string, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method: 'POST', agent: new Agent(), headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(-1));
    req.end(body);
  });
}

async function serve(models: Record<string, number>): Promise<{ url: string; close(): Promise<void> }> {
  const repo = await tempRepository(Object.fromEntries(Object.entries(models).map(([name, batch]) => [name, { onnx: DIGITS, config: { file: 'config.yaml' as const, text: `max_batch_size: ${batch}\n` } }])));
  try {
    const server = await startServer(resolveServerConfig({ model_repository: repo.dir, http_port: 0, grpc_port: -1, metrics_port: -1, host: '127.0.0.1', log_level: 'silent' }));
    return {
      url: server.url,
      close: async () => {
        await server.close();
        await repo.cleanup();
      },
    };
  } catch (err) {
    await repo.cleanup();
    throw err;
  }
}

/** 4 concurrent 16 MiB V1 bodies of 120,000 instances to a model that takes 8 rows. */
export const bigBodiesOverBatch: AttackScenario = {
  name: 'big-bodies-over-batch',
  async setup(): Promise<AttackSetup> {
    const { url, close } = await serve({ small: 8, probe: 8 });
    const body = v1Body(120_000, () => '0');
    return {
      httpUrl: url,
      probe: PROBE,
      run: async () => void (await Promise.all(Array.from({ length: 4 }, () => send(url, '/v1/models/small:predict', body)))),
      close,
    };
  },
};

/**
 * A large V2 JSON body a model with max_batch_size 16384 takes (~15 MB: 16384 rows of 64 numbers with many digits),
 * answered with its labels as binary data: the body is parsed and decoded while the probe keeps being answered.
 */
export const bigBodiesAllowed: AttackScenario = {
  name: 'big-bodies-allowed',
  async setup(): Promise<AttackSetup> {
    const { url, close } = await serve({ large: 16_384, probe: 8 });
    const row = Array.from({ length: 64 }, (_, i) => (i / 64 + 0.000123456789).toFixed(12)).join(',');
    const data = new Array(16_384).fill(row).join(',');
    const body = Buffer.from(`{"inputs":[{"name":"input","datatype":"FP32","shape":[16384,64],"data":[${data}]}],"outputs":[{"name":"label","parameters":{"binary_data":true}}]}`);
    return { httpUrl: url, probe: PROBE, run: async () => void (await send(url, '/v2/models/large/infer', body)), close };
  },
};

export const bigBodiesScenarios: readonly AttackScenario[] = [bigBodiesOverBatch, bigBodiesAllowed];
