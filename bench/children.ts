/**
 * Child processes of the harness: servers that announce a URL, and commands that run to completion.
 * Every child is tracked and killed when the harness exits, fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const live = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGKILLs every child still running. Synchronous, so it is safe in an 'exit' handler. */
export function killAllChildren(): void {
  for (const child of live) {
    if (isRunning(child)) child.kill('SIGKILL');
  }
  live.clear();
}

/** Kills all children on exit, SIGINT, SIGTERM and uncaught errors; `onExit` runs too (e.g. temp cleanup). */
export function installCleanup(onExit: () => void): void {
  process.on('exit', () => {
    killAllChildren();
    onExit();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping children\n`);
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: uncaught: ${err.stack ?? String(err)}\n`);
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: unhandled rejection: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}

/** Keeps the last lines a child wrote, and drains its pipes so it never blocks on a full pipe. */
class OutputTail {
  private readonly lines: string[] = [];
  private readonly listeners: Array<(line: string) => void> = [];

  constructor(
    child: ChildProcess,
    private readonly max = 40,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => this.push(line));
    }
  }

  onLine(fn: (line: string) => void): void {
    this.listeners.push(fn);
  }

  next(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        reject(new Error(`no matching output line within ${timeoutMs} ms:\n${this.text()}`));
      }, timeoutMs);
      this.onLine((line) => {
        if (done || !match(line)) return;
        done = true;
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  text(): string {
    return this.lines.join('\n');
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
    for (const fn of this.listeners) fn(line);
  }
}

export interface Service {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** gRPC target (host:port) when the server logged a `grpc_url` before its "listening on" line. */
  readonly grpcUrl: string | undefined;
  alive(): boolean;
  /** How the process ended, or 'running'. */
  exitStatus(): string;
  /** Recent output, for error messages. */
  tail(): string;
  /** Resolves with the next output line that matches. */
  nextLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly readyTimeoutMs?: number;
}

function listeningUrl(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const o = JSON.parse(line) as { url?: unknown; msg?: unknown };
    if (typeof o.url === 'string' && typeof o.msg === 'string' && o.msg.includes('listening on')) return o.url;
  } catch {
    // not a JSON log line
  }
  return undefined;
}

function grpcTarget(line: string): string | undefined {
  if (!line.startsWith('{') || !line.includes('grpc_url')) return undefined;
  try {
    const o = JSON.parse(line) as { grpc_url?: unknown };
    return typeof o.grpc_url === 'string' ? o.grpc_url : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a server process and resolves once it printed a JSON line with `url` and "... listening on ...". */
export function startService(
  name: string,
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): Promise<Service> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const out = new OutputTail(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (graceMs = 5000): Promise<void> => {
    if (!isRunning(child)) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<Service>((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not announce its URL within ${timeoutMs} ms:\n${out.text()}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${name} could not start: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${code}, signal ${signal}) before listening:\n${out.text()}`));
    });
    let grpcUrl: string | undefined;
    out.onLine((line) => {
      grpcUrl ??= grpcTarget(line);
      const url = listeningUrl(line);
      if (url === undefined || child.pid === undefined) return;
      clearTimeout(timer);
      const exitStatus = () =>
        isRunning(child) ? 'running' : `exited with code ${child.exitCode}, signal ${child.signalCode}`;
      resolve({
        name,
        pid: child.pid,
        url,
        grpcUrl,
        alive: () => isRunning(child),
        exitStatus,
        tail: () => out.text(),
        nextLine: (m, t) => out.next(m, t),
        stop,
      });
    });
  });
}

export interface Completed {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** Runs a command to completion, SIGKILLing it after `timeoutMs`. Rejects on a non-zero exit or timeout. */
export function runToEnd(
  name: string,
  command: string,
  args: readonly string[],
  timeoutMs: number,
  cwd?: string,
): Promise<Completed> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise<Completed>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${name} could not run ${command}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${name} did not finish within ${timeoutMs} ms; killed.\n${stderr.slice(-2000)}`));
      else if (code !== 0)
        reject(
          new Error(`${name} failed (code ${code}, signal ${signal}):\n${stderr.slice(-2000)}${stdout.slice(-2000)}`),
        );
      else resolve({ stdout, stderr, code });
    });
  });
}
