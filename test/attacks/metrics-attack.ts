/**
 * Metrics cardinality: a client names thousands of models that do not exist (each a 404 over HTTP, NOT_FOUND over
 * gRPC), then /metrics is scraped again and again. Before the defence every name became a set of series: /metrics
 * grew by megabytes and each scrape held the event loop for a second. Now the names are counted under `_unknown`,
 * and a scrape is rendered a family at a time: the probe inference keeps being answered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveServerConfig, startServer } from '../../src/index.js';
import { MODELS_DIR, ROOT } from '../helpers/server.js';
import { connect } from '../grpc/grpc-client.js';
import type { AttackScenario, AttackSetup } from './attack.js';

/** Made-up names sent (half over HTTP, half over gRPC), and scrapes after them. */
const NAMES = 2000;
const SCRAPES = 10;
const CONCURRENCY = 8;

const DIGITS_REQUEST = readFileSync(join(ROOT, 'examples', 'digits-request.json'), 'utf8');

export const unknownModelMetrics: AttackScenario = {
  name: 'unknown-model-metrics',
  async setup(): Promise<AttackSetup> {
    const server = await startServer(resolveServerConfig({
      model_repository: MODELS_DIR, model_control_mode: 'explicit', load_models: ['digits'],
      host: '127.0.0.1', http_port: 0, grpc_port: 0, metrics_port: 0, log_level: 'silent',
    }));
    const grpc = connect(server.grpcUrl!);
    const httpName = async (name: string) => {
      const r = await fetch(`${server.url}/v2/models/${name}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: DIGITS_REQUEST });
      await r.arrayBuffer();
    };
    const grpcName = (name: string) =>
      grpc.call('ModelInfer', { model_name: name, inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '64'], contents: { fp32_contents: new Array(64).fill(0) } }] }).catch(() => undefined);
    return {
      httpUrl: server.url,
      probe: { path: '/v2/models/digits/infer', body: JSON.parse(DIGITS_REQUEST) as unknown },
      async run() {
        let next = 0;
        const sender = async () => {
          for (let i = next++; i < NAMES; i = next++) await (i % 2 ? grpcName(`made-up-${i}`) : httpName(`made-up-${i}`));
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, sender));
        for (let i = 0; i < SCRAPES; i++) await (await fetch(server.metricsUrl!)).arrayBuffer();
      },
      async close() {
        grpc.close();
        await server.close();
      },
    };
  },
};

export const scenarios: readonly AttackScenario[] = [unknownModelMetrics];
