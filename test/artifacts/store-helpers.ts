/**
 * Set-up for the artefact store tests: a bucket per test on the file's own s3rver, model folders uploaded as an
 * operator's `aws s3 sync` would, and servers whose model repository is `s3://<bucket>/<prefix>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../../src/index.js';
import { get, startTestServer, type ServerConfigFields } from '../helpers/server.js';
import { createBucket, S3_ACCESS_KEY, S3_SECRET_KEY, type OwnS3 } from '../helpers/own-s3.js';

let buckets = 0;

/** A new bucket name, unique in this process. */
export async function newBucket(s3: OwnS3): Promise<string> {
  const name = `models-${process.pid}-${++buckets}`;
  await createBucket(s3.client(), name);
  return name;
}

/** The SDK's default chain finds s3rver's account in the environment, as a server's would. */
export function useStoreCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = S3_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = S3_SECRET_KEY;
}

export interface StoreServerOptions {
  readonly endpoint: string;
  readonly bucket: string;
  readonly prefix?: string;
  /** Reused across restarts to keep the cache; default a new temporary folder. */
  readonly stateDir?: string;
  readonly config?: ServerConfigFields;
  readonly logs?: string[];
}

export function tempStateDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-s3-state-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A server on `s3://bucket/prefix`; scans only when the test calls pollRepository. */
export function startStoreServer(o: StoreServerOptions): Promise<RunningServer> {
  return startTestServer({
    repository: `s3://${o.bucket}/${o.prefix ?? 'prod'}`,
    ...(o.logs ? { logs: o.logs, logLevel: 'info' as const } : {}),
    config: {
      state_dir: o.stateDir,
      repository_poll_secs: 3600,
      ...o.config,
      artifact_store: {
        endpoint: o.endpoint,
        region: 'us-east-1',
        list_interval_ms: 0,
        max_attempts: 2,
        ...o.config?.artifact_store,
      },
    },
  });
}

/** The repository index as the API lists it. */
export async function index(
  server: RunningServer,
): Promise<Array<{ name: string; version?: string; state: string; reason?: string }>> {
  const res = await fetch(`${server.url}/v2/repository/index`, { method: 'POST', body: '{}' });
  return (await res.json()) as Array<{ name: string; version?: string; state: string; reason?: string }>;
}

/** The readiness answer: status and body. */
export async function readiness(server: RunningServer): Promise<{ status: number; body: string }> {
  const r = await get(`${server.url}/v2/health/ready`);
  return { status: r.status, body: r.text };
}

/** A metric's value from /metrics (the sum of its series matching `labels`), or 0. */
export async function metricValue(server: RunningServer, name: string): Promise<number> {
  const text = (await get(server.metricsUrl ?? '')).text;
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}
