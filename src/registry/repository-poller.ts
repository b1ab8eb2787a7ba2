import type { Logger } from '../telemetry/logger.js';
import type { ModelRegistry } from './model-registry.js';

/** Poll mode: rescans the repository every interval; one scan at a time. */
export class RepositoryPoller {
  private timer: ReturnType<typeof setInterval> | undefined;
  private scanning: Promise<void> | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.scan(), this.intervalMs);
    this.timer.unref();
  }

  /** One scan now (waits for a scan already running instead of starting a second). */
  scan(): Promise<void> {
    this.scanning ??= this.registry
      .poll()
      .catch((err: unknown) => this.logger.error({ err }, 'repository poll failed'))
      .finally(() => {
        this.scanning = undefined;
      });
    return this.scanning;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.scanning;
  }
}
