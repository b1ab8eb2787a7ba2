/**
 * The primary's own series on the metrics port (processes configured and ready, restarts), and how many requests
 * one process's exposition counts (for `inferd_process_requests_total`).
 */
import { Counter, Gauge, Registry } from 'prom-client';

export interface SupervisorMetrics {
  readonly registry: Registry;
  readonly restarts: Counter<'reason'>;
}

export function supervisorMetrics(slots: () => ReadonlyArray<{ readonly ready: boolean }>): SupervisorMetrics {
  const registry = new Registry();
  new Gauge({
    name: 'inferd_processes',
    help: 'Serving processes configured (processes:)',
    registers: [registry],
    collect() {
      this.set(slots().length);
    },
  });
  new Gauge({
    name: 'inferd_processes_ready',
    help: 'Serving processes that are listening with their models loaded',
    registers: [registry],
    collect() {
      this.set(slots().filter((s) => s.ready).length);
    },
  });
  const restarts = new Counter({
    name: 'inferd_process_restarts_total',
    help: 'Serving processes started again after exiting unasked, by how they ended (exit code or signal)',
    labelNames: ['reason'],
    registers: [registry],
  });
  return { registry, restarts };
}

/** The sum of a process exposition's inferd_requests_total series. */
export function requestsIn(text: string): number {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('inferd_requests_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}
