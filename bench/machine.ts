/** What the numbers were measured on and with: date, commit, CPU, cores, versions, load. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { WRK } from './wrk.js';

export interface MachineInfo {
  readonly date: string;
  readonly commit: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly onnxruntime: string;
  readonly wrk: string;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    // wrk -v exits 1 after printing its version.
    const e = err as { stdout?: string };
    return typeof e.stdout === 'string' ? e.stdout.trim() : '';
  }
}

/** Short commit, with "+dirty" when the work tree has uncommitted changes. */
export function gitCommit(): string {
  const head = run('git', ['rev-parse', '--short', 'HEAD']) || 'unknown';
  return run('git', ['status', '--porcelain']) ? `${head}+dirty` : head;
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const ortPkg = JSON.parse(
    readFileSync(join(REPO_ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8'),
  ) as { version: string };
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: gitCommit(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    onnxruntime: ortPkg.version,
    wrk: run(WRK, ['-v']).split('\n')[0].split(' ').slice(0, 2).join(' '),
  };
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
