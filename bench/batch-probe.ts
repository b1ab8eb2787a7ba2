/**
 * Diagnostic: which batch sizes inferd's dynamic batcher forms. inferd has no stats endpoint yet, so this child
 * runs the server in-process (same code as the CLI) and prints each model's scheduler statistics on SIGUSR2.
 *
 * Usage: node dist/bench/batch-probe.js --model-repository models
 * Prints "inferd listening on URL" (JSON), then on each SIGUSR2 one line {"batch_stats": {model: snapshot}}.
 */
import { parseArgs } from 'node:util';
import { resolveServerConfig, startServer } from '../src/index.js';
import type { StatisticsSnapshot } from '../src/scheduler/model-statistics.js';
import { exitWithParent } from './child-lifetime.js';

/**
 * The scheduler statistics are not public yet (registry is private in Inferd); reach them through the
 * shape they have today. If the internals change, the probe reports that instead of failing the bench.
 */
interface RegistryInternals {
  registry: { resolveReady(name: string): { scheduler?: { stats: { snapshot(): StatisticsSnapshot } } } };
}

const { values } = parseArgs({ options: { 'model-repository': { type: 'string', default: 'models' } } });
exitWithParent();
const server = await startServer(
  resolveServerConfig({ model_repository: values['model-repository'], http_port: 0, log_level: 'info' }),
);

process.on('SIGUSR2', () => {
  const out: Record<string, StatisticsSnapshot | { error: string }> = {};
  for (const model of ['digits', 'mlp_heavy']) {
    try {
      const scheduler = (server.inferd as unknown as RegistryInternals).registry.resolveReady(model).scheduler;
      out[model] = scheduler ? scheduler.stats.snapshot() : { error: 'no scheduler' };
    } catch (err) {
      out[model] = { error: `statistics not reachable: ${(err as Error).message}` };
    }
  }
  process.stdout.write(`${JSON.stringify({ batch_stats: out })}\n`);
});
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
