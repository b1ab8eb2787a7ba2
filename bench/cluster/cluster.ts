/**
 * A local inferd cluster: N replicas of the built CLI on 127.0.0.1 (fixed spare ports, so a replica restarts on its
 * own port), behind haproxy with active readiness checks, sharing this machine's PostgreSQL (own schema) and Redis
 * (own key prefix). Used by `npm run cluster:local` (local.ts), the scenario runner (scenarios.ts) and
 * test/cluster/.
 *
 * Shared state: when the server's config schema has the `state:` section (PostgreSQL shared state), every replica
 * gets `state: {store: postgres, url, schema}`. Without it, each replica keeps rollouts in memory on its own
 * (`rollouts: {store: memory}`) and `Cluster.sharedState` says so; rate limits are shared through Redis either way.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { serverConfigSchema } from '../../src/config/server-config.js';
import { startService, type Service } from '../children.js';
import { request } from '../http-client.js';
import { INFERD_CLI, MODELS_DIR, REPO_ROOT } from '../paths.js';
import { Haproxy } from './haproxy.js';

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * SIGTERM drain: readiness turns false at once and the replica keeps serving this long, so haproxy's checks
 * (every 500 ms, 2 failures) take it out of rotation before its listener closes. 3 s leaves room for a slow check.
 */
export const SHUTDOWN_DELAY_MS = 3000;
export const SHUTDOWN_TIMEOUT_MS = 15_000;

/** Models every replica serves (copied into a repository of the cluster's own). */
export const CLUSTER_MODELS = ['digits', 'mlp_heavy'] as const;

/**
 * The canary scenarios' model: version 1 is digits, 2 the same file (a good candidate, identical answers), 3 a
 * faulty candidate (fails every row with a pixel above 16); all loaded, all traffic on 1 until a rollout says else.
 */
export const CANARY_MODEL = 'digits_canary';
const CANARY_VERSIONS: Record<number, string> = {
  1: join(MODELS_DIR, 'digits', '1', 'model.onnx'),
  2: join(MODELS_DIR, 'digits', '1', 'model.onnx'),
  3: join(REPO_ROOT, 'test', 'fixtures', 'models', 'digits_faulty.onnx'),
};

export interface ClusterOptions {
  readonly replicas?: number;
  /** Frontend port; 0 (default) picks a spare one. */
  readonly port?: number;
  readonly pgUrl?: string;
  /** PostgreSQL schema of this cluster's shared state (plain identifier). Default `inferd_cluster_<pid>`. */
  readonly schema?: string;
  readonly redisUrl?: string;
  /** Redis key prefix of this cluster's rate-limit buckets. Default `inferd:cluster:<pid>:`. */
  readonly redisPrefix?: string;
  /** Merged into every replica's config (e.g. `auth.model_limits`). */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
  /** Leave the schema and Redis keys in place on stop. */
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

/** Whether the server build has PostgreSQL shared state (`state:` in the config schema). */
export function sharedStateSupported(): boolean {
  return 'state' in serverConfigSchema.shape;
}

/** A port nothing listens on right now (bound, read and released). */
export function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function childEnv(): NodeJS.ProcessEnv {
  // The replicas' settings come from their config file only: an INFERD_* variable in the caller's environment
  // would override it (environment beats the config file).
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFERD_')));
}

export class Replica {
  private service: Service | undefined;
  /** Times this replica was started. */
  starts = 0;
  /** The process's id in the shared state store (its `origin`), read from its start log; new at every start. */
  instanceId: string | undefined;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly configFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.service?.alive() ? this.service.pid : undefined;
  }

  alive(): boolean {
    return this.service?.alive() ?? false;
  }

  tail(): string {
    return this.service?.tail() ?? '';
  }

  /** Starts the process and resolves once it listens (not yet ready: see waitReady). */
  async start(): Promise<void> {
    if (this.alive()) throw new Error(`${this.name} is already running`);
    this.service = await startService(this.name, process.execPath, [INFERD_CLI, 'serve', '--config', this.configFile], {
      cwd: REPO_ROOT,
      env: childEnv(),
      readyTimeoutMs: 60_000,
    });
    this.starts++;
    this.instanceId = undefined;
    for (const line of this.service.tail().split('\n')) {
      if (!line.includes('"origin"')) continue;
      try {
        const o = JSON.parse(line) as { origin?: unknown };
        if (typeof o.origin === 'string') this.instanceId = o.origin;
      } catch {
        // not a JSON line
      }
    }
  }

  /** Polls /v2/health/ready until 200 (give-up 60 s). */
  async waitReady(giveUpMs = 60_000): Promise<void> {
    const until = performance.now() + giveUpMs;
    for (;;) {
      if (!this.alive()) throw new Error(`${this.name} exited before it was ready:\n${this.tail()}`);
      const r = await request(undefined, `${this.url}/v2/health/ready`, 'GET', undefined, 2000).catch(() => undefined);
      if (r?.status === 200) return;
      if (performance.now() > until) throw new Error(`${this.name} not ready after ${giveUpMs} ms:\n${this.tail()}`);
      await sleep(50);
    }
  }

  /** SIGTERM (drain), SIGKILL if it has not exited after the shutdown timeout and 5 s more. */
  async stop(): Promise<void> {
    await this.service?.stop(SHUTDOWN_TIMEOUT_MS + 5000);
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(): Promise<void> {
    const s = this.service;
    if (!s?.alive()) return;
    process.kill(s.pid, 'SIGKILL');
    for (let i = 0; i < 200 && s.alive(); i++) await sleep(10);
  }

  killNow(): void {
    const s = this.service;
    if (s?.alive()) process.kill(s.pid, 'SIGKILL');
  }
}

export class Cluster {
  private stopped = false;

  private constructor(
    readonly dir: string,
    readonly replicas: readonly Replica[],
    readonly haproxy: Haproxy,
    readonly pgUrl: string,
    readonly schema: string,
    readonly redisUrl: string,
    readonly redisPrefix: string,
    /** 'postgres' when replicas share rollouts and policies; else why not. */
    readonly sharedState: 'postgres' | 'none: this build has no `state:` config (PostgreSQL shared state)',
    private readonly options: ClusterOptions,
  ) {}

  get url(): string {
    return this.haproxy.url;
  }

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const log = options.log ?? (() => {});
    const n = options.replicas ?? 3;
    const pgUrl = options.pgUrl ?? DEFAULT_PG_URL;
    const schema = options.schema ?? `inferd_cluster_${process.pid}`;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new Error(`schema ${schema}: use a plain lower-case identifier (letters, digits, _)`);
    const redisUrl = options.redisUrl ?? DEFAULT_REDIS_URL;
    const redisPrefix = options.redisPrefix ?? `inferd:cluster:${process.pid}:`;
    const dir = mkdtempSync(join(tmpdir(), 'inferd-cluster-'));
    const repo = join(dir, 'models');
    mkdirSync(repo);
    // Copied, not linked: the repository scan takes real folders only (and nothing of the cluster's touches models/).
    for (const m of CLUSTER_MODELS) cpSync(join(MODELS_DIR, m), join(repo, m), { recursive: true });
    for (const [v, file] of Object.entries(CANARY_VERSIONS)) {
      mkdirSync(join(repo, CANARY_MODEL, v), { recursive: true });
      cpSync(file, join(repo, CANARY_MODEL, v, 'model.onnx'));
    }
    writeFileSync(
      join(repo, CANARY_MODEL, 'config.yaml'),
      'max_batch_size: 64\nversion_policy: all\ntraffic: { weights: { 1: 100 } }\n',
    );

    const shared = sharedStateSupported();
    const ports: number[] = [];
    while (ports.length < n + 1) {
      const p = await sparePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const frontendPort = options.port && options.port > 0 ? options.port : ports[n];
    const replicas = Array.from({ length: n }, (_, i) => {
      const name = `r${i + 1}`;
      const config = {
        ...options.extraConfig,
        host: '127.0.0.1',
        http_port: ports[i],
        grpc_port: -1,
        metrics_port: -1,
        model_repository: repo,
        log_format: 'json',
        log_level: 'info',
        shutdown_delay_ms: SHUTDOWN_DELAY_MS,
        shutdown_timeout_ms: SHUTDOWN_TIMEOUT_MS,
        limits: {
          ...((options.extraConfig?.limits as Record<string, unknown> | undefined) ?? {}),
          rate_store: 'redis',
          rate_redis: { url: redisUrl, key_prefix: `${redisPrefix}ratelimit:` },
        },
        ...(shared ? { state: { store: 'postgres', url: pgUrl, schema } } : { rollouts: { store: 'memory' } }),
        // Each replica its own state directory (its journal of queued state changes), as on separate hosts.
        ...(shared ? { state_dir: join(dir, `${name}-state`) } : {}),
      };
      const file = join(dir, `${name}.json`);
      writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
      return new Replica(name, ports[i], file);
    });
    const haproxy = new Haproxy(
      dir,
      frontendPort,
      replicas.map((r) => ({ name: r.name, port: r.port })),
    );
    const cluster = new Cluster(
      dir,
      replicas,
      haproxy,
      pgUrl,
      schema,
      redisUrl,
      redisPrefix,
      shared ? 'postgres' : 'none: this build has no `state:` config (PostgreSQL shared state)',
      options,
    );
    try {
      log(
        `starting ${n} replicas (ports ${replicas.map((r) => r.port).join(', ')}); shared state: ${cluster.sharedState}`,
      );
      // One at a time: the first creates the schema and tables, and on 2 cores parallel starts only compete.
      for (const r of replicas) await r.start();
      await Promise.all(replicas.map((r) => r.waitReady()));
      await haproxy.start();
      await cluster.waitAllUp();
      log(`haproxy on ${haproxy.url}, all ${n} replicas UP`);
    } catch (err) {
      await cluster.stop().catch(() => {});
      throw err;
    }
    return cluster;
  }

  /** Resolves once haproxy reports `status` for the server (give-up 60 s). */
  async waitStatus(name: string, status: 'UP' | 'DOWN', giveUpMs = 60_000, everyMs = 20): Promise<void> {
    const until = performance.now() + giveUpMs;
    for (;;) {
      const s = await this.haproxy.serverStat(name);
      if (s.status === status) return;
      if (performance.now() > until)
        throw new Error(`haproxy still reports ${name} as "${s.status}" after ${giveUpMs} ms (waiting for ${status})`);
      await sleep(everyMs);
    }
  }

  async waitAllUp(giveUpMs = 60_000): Promise<void> {
    for (const r of this.replicas) await this.waitStatus(r.name, 'UP', giveUpMs);
  }

  /** SIGTERM every replica (they drain), stop haproxy, drop the schema and Redis keys unless `keep`. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.replicas.map((r) => r.stop()));
    await this.haproxy.stop();
    if (!this.options.keep) await this.dropSharedState();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One query against the cluster's PostgreSQL (its own connection, closed after). */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.pgUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** The replica holding the canary leadership lock now (its session's application_name names its instance). */
  async leader(): Promise<Replica | undefined> {
    const rows = await this.query<{ app: string }>(
      `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'inferd canary leadership %'`,
    );
    return this.replicas.find(
      (r) => r.alive() && r.instanceId !== undefined && rows.some((x) => x.app.includes(r.instanceId!.slice(0, 30))),
    );
  }

  /** Synchronous last resort for exit handlers: SIGKILL everything. */
  killNow(): void {
    for (const r of this.replicas) r.killNow();
    this.haproxy.killNow();
  }

  private async dropSharedState(): Promise<void> {
    const client = new pg.Client({ connectionString: this.pgUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    } catch (err) {
      this.options.log?.(`could not drop schema ${this.schema}: ${(err as Error).message}`);
    } finally {
      await client.end().catch(() => {});
    }
    const redis = new Redis(this.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
    redis.on('error', () => {});
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.redisPrefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } catch (err) {
      this.options.log?.(`could not delete Redis keys ${this.redisPrefix}*: ${(err as Error).message}`);
    } finally {
      redis.disconnect();
    }
  }
}
