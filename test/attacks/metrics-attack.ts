/**
 * Metrics cardinality: a client names thousands of models that do not exist (each a 404 over HTTP, NOT_FOUND over
 * gRPC), then /metrics is scraped again and again. Before the defence every name became a set of series: /metrics
 * grew by megabytes and each scrape held the event loop for a second. Now the names are counted under `_unknown`,
 * and a scrape is rendered a family at a time: the probe inference keeps being answered. The client is a flood
 * attacker in a child process (flood.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveServerConfig, startServer } from '../../src/index.js';
import { MODELS_DIR, ROOT } from '../helpers/server.js';
import type { AttackScenario, AttackSetup } from './attack.js';
import { describeCounts, expectOnly, flood } from './flood.js';

/** Made-up names sent over each of HTTP and gRPC, and scrapes after them. */
const NAMES = 3000;
const SCRAPES = 20;
const CONCURRENCY = 4;

const DIGITS_REQUEST = readFileSync(join(ROOT, 'examples', 'digits-request.json'), 'utf8');
const names = Array.from({ length: NAMES }, (_, i) => `made-up-${i}`);

export const unknownModelMetrics: AttackScenario = {
  name: 'unknown-model-metrics',
  async setup(): Promise<AttackSetup> {
    const server = await startServer(
      resolveServerConfig({
        model_repository: MODELS_DIR,
        model_control_mode: 'explicit',
        load_models: ['digits'],
        host: '127.0.0.1',
        http_port: 0,
        grpc_port: 0,
        metrics_port: 0,
        log_level: 'silent',
      }),
    );
    const metrics = new URL(server.metricsUrl!);
    return {
      httpUrl: server.url,
      probe: { path: '/v2/models/digits/infer', body: JSON.parse(DIGITS_REQUEST) as unknown },
      async run() {
        const counts = await flood([
          [
            {
              kind: 'http',
              label: 'http',
              url: server.url,
              requests: names.map((n) => ({ path: `/v2/models/${n}/infer`, body: DIGITS_REQUEST })),
              count: NAMES,
              concurrency: CONCURRENCY,
            },
            {
              kind: 'grpc',
              label: 'grpc',
              target: server.grpcUrl!,
              method: 'ModelInfer',
              count: NAMES,
              concurrency: CONCURRENCY,
              requests: names.map((n) => ({
                model_name: n,
                inputs: [
                  {
                    name: 'input',
                    datatype: 'FP32',
                    shape: ['1', '64'],
                    contents: { fp32_contents: new Array<number>(64).fill(0) },
                  },
                ],
              })),
            },
          ],
          [
            {
              kind: 'http',
              label: 'scrape',
              url: metrics.origin,
              requests: [{ method: 'GET', path: metrics.pathname }],
              count: SCRAPES,
              concurrency: 1,
            },
          ],
        ]);
        expectOnly('unknown-model-metrics', counts, 'http', ['404']);
        expectOnly('unknown-model-metrics', counts, 'grpc', ['NOT_FOUND']);
        expectOnly('unknown-model-metrics', counts, 'scrape', ['200']);
        return describeCounts(counts);
      },
      async close() {
        await server.close();
      },
    };
  },
};

export const scenarios: readonly AttackScenario[] = [unknownModelMetrics];
