/** Runs wrk with a cycling-body Lua script and parses the JSON line its done() prints. */
import { join } from 'node:path';
import { runToEnd } from './children.js';
import { LUA_DIR } from './paths.js';

export const WRK = '/usr/bin/wrk';

export interface WrkResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly rps: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
  /** Responses with status ≥ 400. */
  readonly non2xx: number;
  readonly connectErrors: number;
  readonly readErrors: number;
  readonly writeErrors: number;
  readonly timeouts: number;
  /** Bytes wrk read (responses, headers included). */
  readonly bytes: number;
  /** Only with the status-counting script. */
  readonly status?: { readonly ok: number; readonly s503: number; readonly other: number } | undefined;
}

export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  /** One JSON body per line; or, with `binary`, the file writeBinaryBodiesFile writes. */
  readonly bodiesFile: string;
  /** Binary tensor extension requests (post-binary-cycle.lua). */
  readonly binary?: boolean;
  /** wrk threads; capped at the connection count. Default 1: on 2 cores every wrk thread takes CPU from the server. */
  readonly threads?: number;
  readonly timeoutS?: number;
  /** Count responses by status (slower for wrk). */
  readonly countStatus?: boolean;
}

interface WrkJson {
  requests: number;
  duration_us: number;
  rps: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
  mean_us: number;
  non2xx: number;
  connect_errors: number;
  read_errors: number;
  write_errors: number;
  timeouts: number;
  bytes?: number;
  status_2xx?: number;
  status_503?: number;
  status_other?: number;
}

export function parseWrkOutput(stdout: string): WrkResult {
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no WRK_JSON line:\n${stdout.slice(-2000)}`);
  const j = JSON.parse(line.slice('WRK_JSON '.length)) as WrkJson;
  return {
    requests: j.requests,
    durationUs: j.duration_us,
    rps: j.rps,
    p50Us: j.p50_us,
    p90Us: j.p90_us,
    p99Us: j.p99_us,
    p999Us: j.p999_us,
    maxUs: j.max_us,
    meanUs: j.mean_us,
    non2xx: j.non2xx,
    connectErrors: j.connect_errors,
    readErrors: j.read_errors,
    writeErrors: j.write_errors,
    timeouts: j.timeouts,
    bytes: j.bytes ?? NaN,
    status:
      j.status_2xx === undefined
        ? undefined
        : { ok: j.status_2xx, s503: j.status_503 ?? 0, other: j.status_other ?? 0 },
  };
}

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const threads = Math.max(1, Math.min(o.threads ?? 1, o.connections));
  if (o.binary && o.countStatus) throw new Error('runWrk: binary bodies with status counting is not supported');
  const script = join(
    LUA_DIR,
    o.binary ? 'post-binary-cycle.lua' : o.countStatus ? 'post-cycle-status.lua' : 'post-cycle.lua',
  );
  const args = [
    `-t${threads}`,
    `-c${o.connections}`,
    `-d${o.durationS}s`,
    `--timeout`,
    `${o.timeoutS ?? 10}s`,
    '-s',
    script,
    o.url,
    '--',
    o.bodiesFile,
  ];
  const { stdout } = await runToEnd(`wrk ${o.connections}c ${o.url}`, WRK, args, (o.durationS + 30) * 1000);
  return parseWrkOutput(stdout);
}

/** Fails loudly when a server answered errors or dropped connections during a measurement. */
export function assertClean(r: WrkResult, label: string): void {
  const problems: string[] = [];
  if (r.requests === 0) problems.push('no request completed');
  if (r.non2xx > 0) problems.push(`${r.non2xx} non-2xx responses`);
  if (r.connectErrors + r.readErrors + r.writeErrors > 0) {
    problems.push(`socket errors (connect ${r.connectErrors}, read ${r.readErrors}, write ${r.writeErrors})`);
  }
  if (r.timeouts > 0) problems.push(`${r.timeouts} timeouts`);
  if (problems.length) throw new Error(`${label}: ${problems.join('; ')}`);
}
