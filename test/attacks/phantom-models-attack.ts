/**
 * Phantom models: a careless or hostile admin client asks to load thousands of names the repository does not
 * hold (typos, made-up names) over HTTP while a load balancer keeps probing readiness. Each load is refused with
 * 400 and leaves nothing behind; readiness must stay true throughout (one typo used to take a replica out of the
 * load balancer), and the probe model keeps answering. The loads and readiness checks are sent by a flood attacker
 * in a child process (flood.ts).
 */
import { resolveServerConfig, startServer } from '../../src/index.js';
import { digitsBody, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import type { AttackScenario, AttackSetup } from './attack.js';
import { describeCounts, flood, unexpected, type HttpRequestSpec } from './flood.js';

/** Made-up names loaded per run (the figure was 5,000; scaled to finish in a few seconds here). */
const NAMES = 3000;
/** Load requests in flight at once. */
const CONCURRENCY = 4;
/** What a load balancer sees meanwhile: a readiness check after every READY_EVERY loads. */
const READY_EVERY = 50;

export const phantomModelsAttack: AttackScenario = {
  name: 'phantom-model-loads',
  async setup(): Promise<AttackSetup> {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
    const server = await startServer(
      resolveServerConfig({
        model_repository: repo.dir,
        http_port: 0,
        grpc_port: -1,
        metrics_port: -1,
        host: '127.0.0.1',
        log_level: 'silent',
        model_control_mode: 'explicit',
        load_models: ['digits'],
      }),
    );
    const requests: HttpRequestSpec[] = [];
    for (let i = 0; i < NAMES; i++) {
      requests.push({ path: `/v2/repository/models/phantom-${i}-${i.toString(36)}/load`, body: '{}', label: 'load' });
      if (i % READY_EVERY === 0) requests.push({ method: 'GET', path: '/v2/health/ready', label: 'ready' });
    }
    return {
      httpUrl: server.url,
      probe: { path: '/v2/models/digits/infer', body: JSON.parse(digitsBody(0)) as unknown },
      async run() {
        const counts = await flood([
          [
            {
              kind: 'http',
              label: 'load',
              url: server.url,
              requests,
              count: requests.length,
              concurrency: CONCURRENCY,
            },
          ],
        ]);
        const notReady = unexpected(counts, 'ready', ['200']);
        const odd = unexpected(counts, 'load', ['400']);
        if (notReady.length || odd.length) {
          throw new Error(
            `phantom loads changed the server: readiness answered ${notReady.join(', ') || 'always 200'}; loads answered ${odd.join(', ') || 'always 400'}`,
          );
        }
        return describeCounts(counts);
      },
      async close() {
        await server.close();
        repo.cleanup();
      },
    };
  },
};

export const scenarios: readonly AttackScenario[] = [phantomModelsAttack];
