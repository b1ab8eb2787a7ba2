/**
 * Runs the built `inferd` command (dist/src/cli/inferd.js) as a child process, without blocking the event loop,
 * so an in-process server keeps answering it.
 */
import { execFile } from 'node:child_process';
import { CLI_PATH } from '../helpers/server.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `inferd ...args`; never rejects on a non-zero exit code. `env` is added to this process's environment. */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const childEnv = { ...process.env, INFERD_URL: undefined, INFERD_API_KEY: undefined, INFERD_TOKEN: undefined, ...env };
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
