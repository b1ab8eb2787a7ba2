/**
 * Big bodies: V1 bodies with far more instances than the model batches (16 MiB and 120,000 instances each, 4 at a
 * time, round after round; the were 60 MiB and 484k), and large V2 JSON bodies the model does take, decoded
 * while the probe keeps being answered. The server must refuse the first from their Content-Length before reading
 * them and decode the second off the event loop. The bodies are built and sent by a flood attacker in a child
 * process (flood.ts).
 */
import { resolveServerConfig, startServer } from '../../src/index.js';
import { tempRepository } from '../helpers/server.js';
import type { AttackScenario, AttackSetup, ProbeRequest } from './attack.js';
import { describeCounts, expectOnly, flood, type BodySpec } from './flood.js';

const DIGITS = 'models/digits/1/model.onnx';

const PROBE: ProbeRequest = {
  path: '/v2/models/probe/infer',
  body: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) }] },
};

/** Over-batch bodies sent (4 at a time), and large allowed bodies sent (one at a time). */
const OVER_BATCH_BODIES = 400;
const ALLOWED_BODIES = 4;

async function serve(models: Record<string, number>): Promise<{ url: string; close(): Promise<void> }> {
  const repo = await tempRepository(
    Object.fromEntries(
      Object.entries(models).map(([name, batch]) => [
        name,
        { onnx: DIGITS, config: { file: 'config.yaml' as const, text: `max_batch_size: ${batch}\n` } },
      ]),
    ),
  );
  try {
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

/** 16 MiB V1 bodies of 120,000 instances to a model that takes 8 rows, 4 at a time. */
export const bigBodiesOverBatch: AttackScenario = {
  name: 'big-bodies-over-batch',
  async setup(): Promise<AttackSetup> {
    const { url, close } = await serve({ small: 8, probe: 8 });
    const body: BodySpec = {
      before: '{"instances":[',
      piece: `[${new Array(64).fill('0').join(',')}]`,
      times: 120_000,
      separator: ',',
      after: ']}',
    };
    return {
      httpUrl: url,
      probe: PROBE,
      async run() {
        const counts = await flood([
          [
            {
              kind: 'http',
              label: 'v1',
              url,
              requests: [{ path: '/v1/models/small:predict', body }],
              count: OVER_BATCH_BODIES,
              concurrency: 4,
              keepAlive: false,
            },
          ],
        ]);
        // Refused from their Content-Length with 413 (above the model's body limit), never read; a refusal may close
        // the connection before the client has written the body ('error'). A refused body gives its share of the
        // buffered-body budget back at once, so the budget never fills and none gets 503.
        expectOnly('big-bodies-over-batch', counts, 'v1', ['413', 'error']);
        return describeCounts(counts);
      },
      close,
    };
  },
};

/**
 * Large V2 JSON bodies a model with max_batch_size 16384 takes (~15 MB: 16384 rows of 64 numbers with many digits),
 * answered with its labels as binary data: each body is parsed and decoded while the probe keeps being answered.
 */
export const bigBodiesAllowed: AttackScenario = {
  name: 'big-bodies-allowed',
  async setup(): Promise<AttackSetup> {
    const { url, close } = await serve({ large: 16_384, probe: 8 });
    const row = Array.from({ length: 64 }, (_, i) => (i / 64 + 0.000123456789).toFixed(12)).join(',');
    const body: BodySpec = {
      before: '{"inputs":[{"name":"input","datatype":"FP32","shape":[16384,64],"data":[',
      piece: row,
      times: 16_384,
      separator: ',',
      after: ']}],"outputs":[{"name":"label","parameters":{"binary_data":true}}]}',
    };
    return {
      httpUrl: url,
      probe: PROBE,
      async run() {
        const counts = await flood([
          [
            {
              kind: 'http',
              label: 'v2',
              url,
              requests: [{ path: '/v2/models/large/infer', body }],
              count: ALLOWED_BODIES,
              concurrency: 1,
            },
          ],
        ]);
        expectOnly('big-bodies-allowed', counts, 'v2', ['200']);
        return describeCounts(counts);
      },
      close,
    };
  },
};

export const bigBodiesScenarios: readonly AttackScenario[] = [bigBodiesOverBatch, bigBodiesAllowed];
