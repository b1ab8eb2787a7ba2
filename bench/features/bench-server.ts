/**
 * One inferd server for the feature benchmark: a child process (so the load client does not share its event
 * loop) on a temporary repository holding the fraud model and a features.yaml for the scenario.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'inferd.js');

export interface ServerPorts {
  readonly http: number;
  readonly metrics: number;
}

export class BenchServer {
  private child: ChildProcess | undefined;
  readonly dir: string;

  /** @param features the features.yaml content for this server (JSON is YAML). */
  constructor(
    features: object,
    private readonly ports: ServerPorts,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'inferd-fbench-'));
    mkdirSync(join(this.dir, 'fraud_xgb', '1'), { recursive: true });
    cpSync(join(ROOT, 'models', 'fraud_xgb', '1', 'model.json'), join(this.dir, 'fraud_xgb', '1', 'model.json'));
    cpSync(join(ROOT, 'models', 'fraud_xgb', 'config.yaml'), join(this.dir, 'fraud_xgb', 'config.yaml'));
    writeFileSync(join(this.dir, 'features.yaml'), JSON.stringify(features));
  }

  get url(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.ports.metrics}/metrics`;
  }

  get featuresConfig(): string {
    return join(this.dir, 'features.yaml');
  }

  async start(): Promise<void> {
    const args = [
      CLI,
      'serve',
      '--model-repository',
      this.dir,
      `--http-port=${this.ports.http}`,
      '--grpc-port=-1',
      `--metrics-port=${this.ports.metrics}`,
      '--log-level',
      'warn',
    ];
    this.child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    for (let i = 0; i < 200; i++) {
      if (
        await fetch(`${this.url}/v2/health/ready`).then(
          (r) => r.status === 200,
          () => false,
        )
      )
        return;
      if (this.child.exitCode !== null) throw new Error(`inferd exited with ${this.child.exitCode}`);
      await sleep(50);
    }
    throw new Error('inferd did not become ready within 10 s');
  }

  /** SIGTERM, then removes the repository. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Kills the child at once (harness exit). */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  /** Sums the samples of a metric whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string>): Promise<number> {
    const text = await (await fetch(this.metricsUrl)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }
}
