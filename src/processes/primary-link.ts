/**
 * A serving process's side of the IPC channel to the primary (node:cluster): it says when it is ready, answers the
 * primary's metrics requests with its own exposition, learns how many processes are ready (readiness is false
 * while fewer than all are) and whether it leads the canary analysis (the primary names one: `Leadership`).
 */
import type { Leadership } from '../routing/canary-coordination.js';
import { isFromPrimary, PROCESS_ENV, type FromProcess } from './messages.js';

/** Who this serving process is, from the environment the primary forked it with. */
export interface ServingProcess {
  readonly index: number;
  readonly count: number;
  readonly httpPort: number;
  readonly grpcPort: number;
}

/** The serving process's identity, or undefined when this process was not forked by an inferd primary. */
export function servingProcessFromEnv(env: NodeJS.ProcessEnv = process.env): ServingProcess | undefined {
  const index = Number(env[PROCESS_ENV.index]);
  const count = Number(env[PROCESS_ENV.count]);
  if (!Number.isInteger(index) || index < 1 || !Number.isInteger(count) || count < 1) return undefined;
  return { index, count, httpPort: Number(env[PROCESS_ENV.httpPort]), grpcPort: Number(env[PROCESS_ENV.grpcPort]) };
}

/** How often a process tells the others its statistics: how old the others' part of a statistics answer may be. */
export const STATISTICS_INTERVAL_MS = 1000;

export class PrimaryLink implements Leadership {
  private ready = 0;
  private total: number;
  private leader = 0;
  private readonly listeners = new Set<(leader: boolean) => void>();
  private render: (() => Promise<string>) | undefined;
  private readonly peerStats = new Map<number, readonly unknown[]>();
  private readonly peerSlo = new Map<number, Readonly<Record<string, unknown>>>();
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private readonly onMessage = (m: unknown) => this.receive(m);

  constructor(
    readonly self: ServingProcess,
    private readonly channel: NodeJS.Process = process,
  ) {
    this.total = self.count;
    channel.on('message', this.onMessage);
  }

  /** Answers the primary's metrics requests with `render()`'s text. */
  serveMetrics(render: () => Promise<string>): void {
    this.render = render;
  }

  /**
   * Sends `own()` (this process's statistics) and `slo()` (its SLO sums per model) every `intervalMs`, for the
   * others to add to theirs.
   */
  shareStatistics(
    own: () => readonly unknown[],
    slo: () => Readonly<Record<string, unknown>> = () => ({}),
    intervalMs = STATISTICS_INTERVAL_MS,
  ): void {
    const send = () => this.send({ inferd: 'statistics', stats: own(), slo: slo() });
    send();
    this.statsTimer = setInterval(send, intervalMs);
    this.statsTimer.unref();
  }

  /** The other processes' latest statistics, one list. */
  peerStatistics(): unknown[] {
    return [...this.peerStats.values()].flat();
  }

  /** The other processes' latest SLO sums of `model`. */
  peerSloSums(model: string): unknown[] {
    return [...this.peerSlo.values()].flatMap((byModel) => (byModel[model] === undefined ? [] : [byModel[model]]));
  }

  /** Tells the primary this process is serving. */
  announceReady(): void {
    this.send({ inferd: 'ready' });
  }

  /** Why the server is not ready as a whole, or undefined when every process is. */
  readinessProblem(): string | undefined {
    return this.ready >= this.total
      ? undefined
      : `${this.ready} of ${this.total} serving processes are ready; the others are starting or restarting`;
  }

  isLeader(): boolean {
    return this.leader === this.self.index;
  }

  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.channel.off('message', this.onMessage);
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.listeners.clear();
  }

  private receive(m: unknown): void {
    if (!isFromPrimary(m)) return;
    if (m.inferd === 'peers') {
      this.ready = m.ready;
      this.total = m.total;
      const was = this.isLeader();
      this.leader = m.leader;
      const now = this.isLeader();
      if (was !== now) for (const l of [...this.listeners]) l(now);
      return;
    }
    if (m.inferd === 'peer-statistics') {
      if (m.from !== this.self.index) {
        this.peerStats.set(m.from, m.stats);
        this.peerSlo.set(m.from, m.slo ?? {});
      }
      return;
    }
    const id = m.id;
    const render = this.render;
    if (!render) return this.send({ inferd: 'metrics', id, text: '' });
    render().then(
      (text) => this.send({ inferd: 'metrics', id, text }),
      () => this.send({ inferd: 'metrics', id, text: '' }),
    );
  }

  private send(m: FromProcess): void {
    if (this.channel.connected && this.channel.send) this.channel.send(m);
  }
}
