/**
 * The messages the primary and its serving processes exchange over node:cluster's IPC channel. Every one carries
 * `inferd` (its kind), so anything else on the channel is ignored.
 */

/** From a serving process. */
export type FromProcess =
  /** Listening, models loaded: it counts as ready. */
  | { readonly inferd: 'ready' }
  /** The answer to a metrics request: the process's exposition. */
  | { readonly inferd: 'metrics'; readonly id: number; readonly text: string }
  /**
   * Its scheduler statistics now (every loaded version) and its SLO sums per model, sent every second: the
   * others add them to theirs.
   */
  | {
      readonly inferd: 'statistics';
      readonly stats: readonly unknown[];
      readonly slo?: Readonly<Record<string, unknown>> | undefined;
    };

/** From the primary. */
export type FromPrimary =
  /** How many processes are ready, of how many configured; and which one leads the canary analysis. */
  | { readonly inferd: 'peers'; readonly ready: number; readonly total: number; readonly leader: number }
  /** Asks for the process's metrics exposition. */
  | { readonly inferd: 'metrics?'; readonly id: number }
  /** Another process's latest statistics (empty once it has ended). */
  | {
      readonly inferd: 'peer-statistics';
      readonly from: number;
      readonly stats: readonly unknown[];
      readonly slo?: Readonly<Record<string, unknown>> | undefined;
    };

function hasKind(m: unknown): m is { inferd: string } {
  return typeof m === 'object' && m !== null && typeof (m as { inferd?: unknown }).inferd === 'string';
}

export function isFromProcess(m: unknown): m is FromProcess {
  return hasKind(m) && (m.inferd === 'ready' || m.inferd === 'metrics' || m.inferd === 'statistics');
}

export function isFromPrimary(m: unknown): m is FromPrimary {
  return hasKind(m) && (m.inferd === 'peers' || m.inferd === 'metrics?' || m.inferd === 'peer-statistics');
}

/** Environment the primary gives each process it forks. */
export const PROCESS_ENV = {
  /** 1..N: which process this is (a restarted one keeps its number). */
  index: 'INFERD_PROCESS_INDEX',
  /** N. */
  count: 'INFERD_PROCESS_COUNT',
  /** The HTTP and gRPC ports the primary chose (a configured 0 is resolved once, so every process shares one). */
  httpPort: 'INFERD_PROCESS_HTTP_PORT',
  grpcPort: 'INFERD_PROCESS_GRPC_PORT',
} as const;
