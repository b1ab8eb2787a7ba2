/**
 * haproxy in front of the local cluster: its config, the process, and its admin socket (server states and
 * counters). Debian package `haproxy` (`apt-get install -y haproxy`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const HAPROXY = '/usr/sbin/haproxy';
export const BACKEND = 'replicas';

/** Health checking: every 500 ms; 2 failures mark a server down, 2 successes up again (down within ~1–1.5 s). */
export const CHECK = { interMs: 500, fall: 2, rise: 2 } as const;

export interface HaproxyServer {
  readonly name: string;
  readonly port: number;
}

/**
 * The config. Active checks on `/v2/health/ready` (200 = ready; inferd answers 400 while loading or draining).
 * A request whose connection to a server fails, or that a server closed without answering (it was killed), is
 * tried again on another server (`retry-on conn-failure empty-response`, `option redispatch`): only inference
 * calls, which change nothing, are retried; admin POSTs (rollouts, traffic, load/unload) never are.
 */
export function haproxyConfig(o: { frontendPort: number; socket: string; servers: readonly HaproxyServer[] }): string {
  const servers = o.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`).join('\n');
  return `# Written by bench/cluster (npm run cluster:local); regenerated at every start.
global
  stats socket ${o.socket} mode 600 level admin
  maxconn 4096

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 10s
  timeout check 2s
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response

frontend inferd
  bind 127.0.0.1:${o.frontendPort}
  default_backend ${BACKEND}

backend ${BACKEND}
  balance roundrobin
  option httpchk GET /v2/health/ready
  http-check expect status 200
  default-server inter ${CHECK.interMs} fastinter ${CHECK.interMs} downinter ${CHECK.interMs} fall ${CHECK.fall} rise ${CHECK.rise}
  acl infer_call path_end /infer /predict
  http-request disable-l7-retry if !METH_GET !infer_call
${servers}
`;
}

/** False when haproxy is installed; else why not. */
export function haproxyMissing(): false | string {
  return existsSync(HAPROXY) ? false : `${HAPROXY} is not installed (apt-get install -y haproxy)`;
}

/** One row of `show stat` for a server (the fields used here; names as haproxy's CSV header). */
export interface ServerStat {
  readonly name: string;
  /** UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming up), MAINT, no check. */
  readonly status: string;
  /** Failed checks. */
  readonly chkfail: number;
  /** UP→DOWN transitions. */
  readonly chkdown: number;
  /** Seconds since the last UP/DOWN transition. */
  readonly lastchg: number;
  /** Requests sent to this server, in total. */
  readonly stot: number;
  readonly hrsp5xx: number;
  /** Connection errors, response errors, retries, redispatches. */
  readonly econ: number;
  readonly eresp: number;
  readonly wretr: number;
  readonly wredis: number;
  /** The last check: its status (L7OK, L4CON, L7STS, L4TOUT...), what it said, and how long it took (ms). */
  readonly checkStatus: string;
  readonly lastCheck: string;
  readonly checkDurationMs: number;
}

export class Haproxy {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly dir: string,
    readonly frontendPort: number,
    readonly servers: readonly HaproxyServer[],
  ) {}

  get socket(): string {
    return join(this.dir, 'haproxy.sock');
  }

  get configFile(): string {
    return join(this.dir, 'haproxy.cfg');
  }

  get url(): string {
    return `http://127.0.0.1:${this.frontendPort}`;
  }

  /** Writes the config, starts haproxy in the foreground and waits until its admin socket answers. */
  async start(): Promise<void> {
    writeFileSync(
      this.configFile,
      haproxyConfig({ frontendPort: this.frontendPort, socket: this.socket, servers: this.servers }),
    );
    const child = spawn(HAPROXY, ['-db', '-f', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (b: Buffer) => void (this.output = (this.output + b.toString('utf8')).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`haproxy exited (${child.exitCode ?? child.signalCode}) at start:\n${this.output}`);
      if (
        await this.command('show info').then(
          () => true,
          () => false,
        )
      )
        return;
      await sleep(50);
    }
    throw new Error(`haproxy's admin socket did not answer within 10 s:\n${this.output}`);
  }

  alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Recent output, for error messages. */
  tail(): string {
    return this.output;
  }

  /** Hard stop (SIGTERM ends haproxy at once), SIGKILL after 3 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL, synchronous: for exit handlers. */
  killNow(): void {
    if (this.alive()) this.child?.kill('SIGKILL');
  }

  /** One admin-socket command; resolves with its whole answer. */
  command(cmd: string, timeoutMs = 2000): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(this.socket);
      let text = '';
      const timer = setTimeout(() => sock.destroy(new Error(`haproxy socket: no answer to "${cmd}"`)), timeoutMs);
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.end(`${cmd}\n`));
      sock.on('data', (s: string) => (text += s));
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.on('close', (hadError) => {
        clearTimeout(timer);
        if (!hadError) resolve(text);
      });
    });
  }

  /** `show stat` rows of the backend's servers. */
  async serverStats(): Promise<ServerStat[]> {
    const csv = await this.command('show stat');
    const lines = csv.split('\n').filter((l) => l.trim() !== '');
    const header = lines[0]?.replace(/^#\s*/, '').split(',') ?? [];
    const col = (row: string[], name: string) => row[header.indexOf(name)] ?? '';
    const num = (row: string[], name: string) => Number(col(row, name)) || 0;
    return lines
      .slice(1)
      .map((l) => l.split(','))
      .filter((row) => col(row, 'pxname') === BACKEND && !['BACKEND', 'FRONTEND'].includes(col(row, 'svname')))
      .map((row) => ({
        name: col(row, 'svname'),
        status: col(row, 'status'),
        chkfail: num(row, 'chkfail'),
        chkdown: num(row, 'chkdown'),
        lastchg: num(row, 'lastchg'),
        stot: num(row, 'stot'),
        hrsp5xx: num(row, 'hrsp_5xx'),
        econ: num(row, 'econ'),
        eresp: num(row, 'eresp'),
        wretr: num(row, 'wretr'),
        wredis: num(row, 'wredis'),
        checkStatus: col(row, 'check_status'),
        lastCheck: col(row, 'last_chk'),
        checkDurationMs: num(row, 'check_duration'),
      }));
  }

  async serverStat(name: string): Promise<ServerStat> {
    const s = (await this.serverStats()).find((r) => r.name === name);
    if (!s) throw new Error(`haproxy reports no server ${name}`);
    return s;
  }
}
