/**
 * The drift record of one model version: its profile (read once, lazily, from the version folder), the rolling
 * window, the last evaluation's report, which statistics are drifted now, and the webhook's cooldown.
 */
import type { DriftConfig } from '../config/drift-config.js';
import { RollingWindow } from './drift-rolling-window.js';
import type { WindowReport } from './drift-window.js';
import type { Profile } from './profile.js';
import { readProfile } from './profile-store.js';
import { basename } from 'node:path';

export class VersionDrift {
  profile: Profile | undefined;
  /** Why the version cannot be monitored (no profile, a bad one, a mismatch with the input); undefined while fine. */
  problem: string | undefined;
  window: RollingWindow | undefined;
  /** The report of the last evaluation of the window. */
  last: WindowReport | undefined;
  evaluations = 0;
  rowsCounted = 0;
  /** Rows sampled but not counted because the buffer was full. */
  dropped = 0;
  /** Rows copied and waiting to be counted. */
  queued = 0;
  /** Keys `source:feature:statistic` over their thresholds at the last evaluation. */
  readonly drifted = new Set<string>();
  lastWebhookMs: number | undefined;
  readonly webhook = { sent: 0, failed: 0, suppressed: 0 };
  private loading: Promise<void> | undefined;

  constructor(
    readonly model: string,
    readonly version: string,
    public config: DriftConfig,
    private readonly profilePath: string,
    /** The profiled input's columns per row according to the model config, to check the profile against. */
    private readonly inputColumns: number | undefined,
  ) {}

  /** The profile named relative to the model repository (reports are shown to clients: no absolute path). */
  private get shownProfile(): string {
    return `${this.model}/${this.version}/${basename(this.profilePath)}`;
  }

  /** Reads the profile the first time; later calls wait for that read. */
  ready(): Promise<void> {
    this.loading ??= readProfile(this.profilePath).then(
      (p) => {
        if (!p)
          this.problem = `no profile: ${this.shownProfile} does not exist; make one with: inferd profile --model ${this.model} --version ${this.version} --data TRAIN.csv`;
        else if (this.inputColumns !== undefined && p.columns !== this.inputColumns)
          this.problem = `${this.shownProfile} describes ${p.columns} input columns, but the model's input '${p.input}' has ${this.inputColumns}; make the profile again`;
        else this.profile = p;
      },
      (err: unknown) => {
        this.problem = (err as Error).message.split(this.profilePath).join(this.shownProfile);
      },
    );
    return this.loading;
  }

  /** The rolling window, started now when there is none yet. */
  windowOf(nowMs: number): RollingWindow {
    this.window ??= new RollingWindow(this.profile!, this.config, nowMs);
    return this.window;
  }

  /** Keeps an evaluation's report as the last one. */
  record(report: WindowReport): void {
    this.last = report;
    this.evaluations++;
  }

  /** Whether the webhook may be called now (its cooldown has passed); records the call when it may. */
  takeWebhookTurn(nowMs: number): boolean {
    const cooldownMs = (this.config.webhook?.cooldownSeconds ?? 0) * 1000;
    if (this.lastWebhookMs !== undefined && nowMs - this.lastWebhookMs < cooldownMs) {
      this.webhook.suppressed++;
      return false;
    }
    this.lastWebhookMs = nowMs;
    return true;
  }
}
