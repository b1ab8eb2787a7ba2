/**
 * `processes:` (flag `--processes`, env INFERD_PROCESSES): how many front-end processes serve the ports, each with
 * its own scheduler and model workers. 1 (the default) is one process, as before; `auto` is one per core the
 * process may use (`os.availableParallelism()`). See src/processes/ and README "Several processes".
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';

/** More would only add memory: every process loads every model. */
export const MAX_PROCESSES = 256;

export const processesSchema = z
  .union([z.literal('auto'), z.number().int().min(1).max(MAX_PROCESSES)])
  .default(1)
  .describe("a whole number of processes from 1 to 256, or 'auto' (one per available core)");

/** The number of processes a `processes` setting asks for; `cores` is injected for tests. */
export function resolveProcesses(value: 'auto' | number, cores: number = availableParallelism()): number {
  if (value === 'auto') return Math.max(1, Math.min(MAX_PROCESSES, cores));
  if (!Number.isInteger(value) || value < 1 || value > MAX_PROCESSES)
    throw new ConfigError(`processes must be 'auto' or a whole number from 1 to ${MAX_PROCESSES}, got ${value}`);
  return value;
}
