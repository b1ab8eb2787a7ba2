/**
 * Phantom models: a careless or hostile admin client asks to load thousands of names the repository does not
 * hold (typos, made-up names) over HTTP while a load balancer keeps probing readiness. Each load is refused with
 * 400 and leaves nothing behind; readiness must stay true throughout (one typo used to take a replica out of the
 * load balancer), and the probe model keeps answering.
 */
import { resolveServerConfig, startServer } from '../../src/index.js';
import { digitsBody, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import type { AttackScenario, AttackSetup } from './attack.js';

/** Made-up names loaded per run (the figure was 5,000; scaled to finish in a few seconds here). */
const NAMES = 2000;
/** Load requests in flight at once. */
const CONCURRENCY = 4;

export const phantomModelsAttack: AttackScenario = {
  name: 'phantom-model-loads',
  async setup(): Promise<AttackSetup> {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
    const server = await startServer(resolveServerConfig({
      model_repository: repo.dir, http_port: 0, grpc_port: -1, metrics_port: -1, host: '127.0.0.1', log_level: 'silent',
      model_control_mode: 'explicit', load_models: ['digits'],
    }));
    return {
      httpUrl: server.url,
      probe: { path: '/v2/models/digits/infer', body: JSON.parse(digitsBody(0)) as unknown },
      async run() {
        let next = 0;
        const notReady: number[] = [];
        const unexpected: string[] = [];
        const worker = async () => {
          while (next < NAMES) {
            const i = next++;
            const res = await fetch(`${server.url}/v2/repository/models/phantom-${i}-${i.toString(36)}/load`, { method: 'POST', body: '{}' }).catch(() => undefined);
            if (res && res.status !== 400) unexpected.push(`load ${i}: ${res.status}`);
            await res?.arrayBuffer();
            // What a load balancer sees meanwhile.
            if (i % 50 === 0) {
              const ready = await fetch(`${server.url}/v2/health/ready`).catch(() => undefined);
              if (ready && ready.status !== 200) notReady.push(i);
              await ready?.arrayBuffer();
            }
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        if (notReady.length || unexpected.length) {
          throw new Error(`phantom loads changed the server: readiness false after ${notReady.length} probes; unexpected answers: ${unexpected.slice(0, 5).join(', ')}`);
        }
      },
      async close() {
        await server.close();
        repo.cleanup();
      },
    };
  },
};

export const scenarios: readonly AttackScenario[] = [phantomModelsAttack];
