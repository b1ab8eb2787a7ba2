/**
 * Runs the built `inferd` command (dist/src/cli/inferd.js) as a child process, without blocking the event loop,
 * so an in-process server keeps answering it.
 */
import { execFile, spawn } from 'node:child_process';
import { CLI_PATH } from '../helpers/server.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `inferd ...args`; never rejects on a non-zero exit code. `env` is added to this process's environment. */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const childEnv = {
      ...process.env,
      INFERD_URL: undefined,
      INFERD_API_KEY: undefined,
      INFERD_TOKEN: undefined,
      ...env,
    };
    execFile(process.execPath, [CLI_PATH, ...args], { env: childEnv, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The result as one string for assertion messages. */
export function shown(r: CliResult): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

/** How the reader of the command's stdout behaves: gone before it writes, or gone after the first line (`| head -1`). */
export type Reader = 'closed' | 'first-line';

/** Runs `inferd ...args` with stdout read as `reader` says; resolves with the exit code, stderr and what was read. */
export function runCliPiped(
  args: readonly string[],
  reader: Reader,
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const childEnv = {
      ...process.env,
      INFERD_URL: undefined,
      INFERD_API_KEY: undefined,
      INFERD_TOKEN: undefined,
      ...env,
    };
    const child = spawn(process.execPath, [CLI_PATH, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let stdout = '';
    let stderr = '';
    if (reader === 'closed') child.stdout.destroy();
    else {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        // Like `head -1`: once a line is read, stop reading and close the pipe.
        if (stdout.includes('\n')) child.stdout.destroy();
      });
    }
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}
