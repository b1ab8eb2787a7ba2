/**
 * A store that cannot be read at start does not stop the server: it listens, not ready, with the reason, and
 * tries again with back-off (1 s doubling up to `maxMs`) until the store answers; then the models load.
 */
import type { Logger } from '../telemetry/logger.js';

export interface StartRetryOptions {
  /** Resolves once the store answered and the models were loaded; rejects (with the reason) to be tried again. */
  readonly attempt: () => Promise<void>;
  readonly maxMs: number;
  readonly logger: Logger;
}

export class StartRetry {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private delayMs = 1000;
  private running: Promise<void> | undefined;
  /** Why the server is not serving yet; undefined once the store answered. */
  problem: string | undefined;

  constructor(
    firstProblem: string,
    private readonly options: StartRetryOptions,
  ) {
    this.problem = firstProblem;
  }

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.options.maxMs);
    this.options.logger.warn(
      { retry_in_ms: delay, reason: this.problem },
      'the model repository cannot be read yet; retrying',
    );
    this.timer = setTimeout(() => void this.tryOnce(), delay);
    this.timer.unref();
  }

  private async tryOnce(): Promise<void> {
    if (this.stopped) return;
    this.running = this.options.attempt().then(
      () => {
        this.problem = undefined;
      },
      (err: unknown) => {
        this.problem = (err as Error).message;
        this.schedule();
      },
    );
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
