/**
 * Process-wide faults: unhandled promise rejections and uncaught exceptions. They belong to the process, not to
 * one server, so the counter is one per process (cli/process-guard.ts counts; main.ts adds it to /metrics).
 */
import { Counter, Registry } from 'prom-client';

export type ProcessFaultKind = 'unhandled_rejection' | 'uncaught_exception';

const registry = new Registry();

export const processFaults = new Counter<'kind'>({
  name: 'inferd_process_faults_total',
  help: 'Unhandled promise rejections (the server keeps running) and uncaught exceptions (the server stops gracefully and exits 1); each is a bug, logged with its error.',
  labelNames: ['kind'],
  registers: [registry],
});

/** The /metrics registry with the process faults counter added. */
export function withProcessFaults(metrics: Registry): Registry {
  return Registry.merge([metrics, registry]);
}
