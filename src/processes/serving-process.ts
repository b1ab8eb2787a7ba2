/**
 * What makes a serving process of `--processes N` differ from a lone server: the ports the primary chose, no
 * metrics port of its own (the primary serves the sum), its own journal of queued PostgreSQL writes, readiness that
 * waits for all N, and the primary's IPC channel for metrics, readiness and the canary lead.
 */
import type { ServerConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import type { VersionStatistics } from '../inference/model-queries.js';
import type { SloSums } from '../slo/slo-tracker.js';
import type { PrimaryLink, ServingProcess } from './primary-link.js';

/** The server config as serving process `self` runs it. */
export function servingProcessConfig(config: ServerConfig, self: ServingProcess): ServerConfig {
  const state =
    config.state.store === 'postgres'
      ? // Each process journals its own queued writes: a restarted one writes its own, under its number.
        { ...config.state, journalPath: config.state.journalPath.replace(/(\.db)?$/, `-process-${self.index}.db`) }
      : config.state;
  return { ...config, httpPort: self.httpPort, grpcPort: self.grpcPort, metricsPort: -1, state };
}

/** Refuses settings that cannot work with several processes, saying what to set instead. */
export function checkProcessesConfig(config: ServerConfig): void {
  if (config.processes > 1 && config.state.store === 'memory')
    throw new ConfigError(
      `processes is ${config.processes} but state.store is memory: each process would keep its own traffic policies and rollouts; use the default state.store: sqlite (shared by the processes through the state directory) or postgres`,
    );
  if (config.processes > 1 && config.modelControlMode === 'explicit')
    throw new ConfigError(
      `processes is ${config.processes} but model_control_mode is explicit: a load or unload request would reach only the process that took its connection; use model_control_mode none (every model at start) or poll (every process follows the repository), or processes: 1`,
    );
  if (config.processes > 1 && config.tls?.metrics)
    throw new ConfigError(
      `processes is ${config.processes} and tls.metrics is true: with several processes the primary serves /metrics over plain HTTP only; set tls.metrics: false (keep the metrics port on a private network) or processes: 1`,
    );
}

/** The parts of a started server the primary's channel needs. */
export interface JoinedServer {
  readonly inferd: {
    readonly service: {
      addReadinessCheck(check: { dependency: string; problem: () => string | undefined }): void;
      ownStatistics(): readonly VersionStatistics[];
      usePeerStatistics(source: () => readonly VersionStatistics[]): void;
      readonly slo: {
        ownSums(): Record<string, SloSums>;
        usePeerSums(source: (model: string) => readonly SloSums[]): void;
      };
    };
  };
  readonly metricsText?: (() => Promise<string>) | undefined;
}

/** Joins a started server to the primary: readiness waits for every process, metrics are answered, ready is said. */
export function joinPrimary(link: PrimaryLink, server: JoinedServer): void {
  server.inferd.service.addReadinessCheck({ dependency: 'processes', problem: () => link.readinessProblem() });
  if (server.metricsText) link.serveMetrics(server.metricsText);
  // Statistics and SLO reports answer for the whole server: this process's own, and the others' latest (at most a
  // second old).
  const service = server.inferd.service;
  link.shareStatistics(
    () => service.ownStatistics(),
    () => service.slo.ownSums(),
  );
  service.usePeerStatistics(() => link.peerStatistics() as VersionStatistics[]);
  service.slo.usePeerSums((model) => link.peerSloSums(model) as SloSums[]);
  link.announceReady();
}
