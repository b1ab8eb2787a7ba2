/**
 * A redis-server of the test's own on a spare port, so a test may hang (SIGSTOP), kill and restart it while the
 * machine's shared Redis is left alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** False when redis-server is installed; else the reason to skip, said loudly (and under INFERD_CI=1, an error). */
export function redisSkipReason(what: string): false | string {
  if (existsSync(REDIS_SERVER)) return false;
  const message = `${REDIS_SERVER} is not installed (apt-get install redis-server); ${what} needs a Redis of its own`;
  if (process.env.INFERD_CI === '1') throw new Error(`INFERD_CI=1: ${message}`);
  process.stderr.write(`\n!!! SKIPPING ${what}: ${message} !!!\n\n`);
  return message;
}

export class OwnRedis {
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts (or restarts, empty) the server and waits until it answers, however long a busy machine takes; fails
   * only if redis-server exits (e.g. the port was taken meanwhile).
   */
  async start(): Promise<void> {
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.child = child;
    const probe = new Redis(this.port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      while (
        !(await probe.connect().then(
          () => true,
          () => false,
        ))
      ) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `redis-server on port ${this.port} exited (${child.exitCode ?? child.signalCode}) before it answered`,
          );
        }
        await sleep(50);
      }
    } finally {
      probe.disconnect();
    }
  }

  /** e.g. SIGSTOP to hang it, SIGCONT to resume. */
  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** SIGKILLs the server (resuming it first if hung) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
