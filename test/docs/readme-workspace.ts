/**
 * Where the README's commands run: a temporary folder laid out as a checkout (a copy of `models/`, which the
 * commands change, and links to `examples/` and `test/`), a server started in-process from the folder's
 * `inferd.yaml` on free ports, and a bin folder put first on PATH with `inferd` (the built CLI) and a `curl` that
 * fails on an HTTP error and reports every status it got.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigFile } from '../../src/config/server-config.js';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { CLI_PATH, MODELS_DIR, ROOT } from '../helpers/server.js';

export interface Workspace {
  readonly dir: string;
  readonly server: RunningServer;
  /** The environment commands run with (PATH with the shims first, INFERD_URL at the server). */
  readonly env: NodeJS.ProcessEnv;
  /** Rewrites the README's fixed addresses (127.0.0.1 or localhost, ports 8000-8002) to the server's. */
  rewrite(command: string): string;
  close(): Promise<void>;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The HTTP statuses curl received, in order. */
  readonly httpStatuses: number[];
}

const STATUS_MARK = 'inferd-readme-http-status:';

function writeShim(bin: string, name: string, script: string): void {
  writeFileSync(join(bin, name), script);
  chmodSync(join(bin, name), 0o755);
}

/**
 * The bundled repository with a second digits version (a copy of the first) kept beside it with all traffic on
 * version 1, as the README's progressive delivery section asks before a rollout, and digits replays against.
 */
function copyModels(dir: string): void {
  cpSync(MODELS_DIR, join(dir, 'models'), { recursive: true, filter: (src) => !src.includes('/.inferd') });
  cpSync(join(dir, 'models', 'digits', '1'), join(dir, 'models', 'digits', '2'), { recursive: true });
  const config = join(dir, 'models', 'digits', 'config.yaml');
  writeFileSync(config, `${readFileSync(config, 'utf8')}\nversion_policy: all\ntraffic: { weights: { 1: 100 } }\n`);
}

/** The server config the README's `--config inferd.yaml` commands read: explicit mode, the audit trail on. */
function serverConfigYaml(dir: string): string {
  return [
    `model_repository: ${join(dir, 'models')}`,
    'model_control_mode: explicit',
    "load_models: ['*']",
    'http_port: 0',
    'log_level: silent',
    'rollouts: { store: memory }',
    // Acknowledged: a prediction is in the log once it is answered, so replay finds what the README sent before.
    `audit: { enabled: true, path: ${join(dir, 'data', 'audit.db')}, durability: acknowledged }`,
  ].join('\n');
}

/** The curl the PATH would run (the shim wraps it). */
function realCurl(): string {
  const found = (process.env.PATH ?? '').split(':').map((d) => join(d, 'curl')).find((p) => existsSync(p));
  if (!found) throw new Error('curl is not installed: the README examples use it (apt-get install curl)');
  return found;
}

/** Creates the folder, the shims and the server. */
export async function createWorkspace(): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-readme-'));
  try {
    copyModels(dir);
    for (const linked of ['examples', 'test']) symlinkSync(join(ROOT, linked), join(dir, linked));
    writeFileSync(join(dir, 'inferd.yaml'), serverConfigYaml(dir));
    const bin = join(dir, '.bin');
    mkdirSync(bin);
    writeShim(bin, 'inferd', `#!/bin/sh\nexec "${process.execPath}" "${CLI_PATH}" "$@"\n`);
    // -f semantics with the body shown; every status goes to stderr, where the test reads it.
    writeShim(bin, 'curl', `#!/bin/sh\nexec "${realCurl()}" --fail-with-body -sS -w '%{stderr}${STATUS_MARK}%{http_code}\\n' "$@"\n`);
    const server = await startServer(resolveServerConfig(readConfigFile(join(dir, 'inferd.yaml'))));
    const ports: Record<string, string> = { '8000': String(server.port), '8001': String(server.grpcPort), '8002': new URL(server.metricsUrl!).port };
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, INFERD_URL: server.url };
    return {
      dir, server, env,
      rewrite: (command) => command.replace(/(?:127\.0\.0\.1|localhost):(800[012])\b/g, (_m, port: string) => `127.0.0.1:${ports[port]}`),
      close: async () => {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Runs a command with bash (pipefail) in the workspace. */
export function runCommand(ws: Workspace, command: string, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { cwd: ws.dir, env: ws.env, timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const httpStatuses = [...stderr.matchAll(new RegExp(`${STATUS_MARK}(\\d+)`, 'g'))].map((m) => Number(m[1]));
      resolve({ code, stdout, stderr: stderr.replace(new RegExp(`${STATUS_MARK}\\d+\\n?`, 'g'), ''), httpStatuses });
    });
  });
}

/**
 * Runs a command that starts a server (`inferd serve ...`) on free ports, waits until it is ready (200 on
 * /v2/health/ready: every model loaded), stops it with SIGTERM and resolves with its exit code and output.
 * `ready` is false when it never was (killed after the timeout, or exited by itself).
 */
export function runServeCommand(ws: Workspace, command: string, timeoutMs = 120_000): Promise<RunResult & { ready: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `exec ${command} --http-port 0`], { cwd: ws.dir, env: ws.env });
    let output = '';
    let ready = false;
    let probing = false;
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // The server prints its URLs as it starts; each is asked until one is ready.
    const probe = async (): Promise<void> => {
      if (ready || probing) return;
      probing = true;
      for (const origin of new Set([...output.matchAll(/https?:\/\/[\w.[\]:-]+:\d+/g)].map((m) => m[0]))) {
        const res = await fetch(`${origin}/v2/health/ready`).catch(() => undefined);
        if (res?.status === 200 && !ready) {
          ready = true;
          child.kill('SIGTERM');
        }
      }
      probing = false;
    };
    const poller = setInterval(() => void probe(), 200);
    const collect = (d: Buffer) => (output += d.toString());
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      clearInterval(poller);
      resolve({ code, stdout: output, stderr: '', httpStatuses: [], ready });
    });
  });
}
