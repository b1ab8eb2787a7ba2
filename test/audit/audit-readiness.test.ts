/**
 * With `durability: acknowledged`, every sampled request fails while the audit store cannot commit, so readiness
 * says so: false with the reason (HTTP body, gRPC ServerReady false), and true again once the store recovers,
 * without any traffic (the store is probed every audit.health_probe_ms).
 *
 * The store is a PostgreSQL database of this test's own on the shared server (never the shared `test` database):
 * it "goes down" by refusing connections (ALLOW_CONNECTIONS false, its sessions terminated) and comes back when
 * they are allowed again; it is dropped afterwards. The SQLite store becomes unwritable as when another process
 * holds its file locked (BEGIN EXCLUSIVE on a connection of the test's own), and writable again when it lets go.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { RunningServer } from '../../src/index.js';
import { connect, type InferenceClient } from '../grpc/grpc-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { inferDigits, startAuditServer, tempDir } from './audit-helpers.js';
import { PG_URL } from './postgres.js';

interface ReadyBody {
  ready: boolean;
  reasons: Array<{ model?: string; dependency?: string; reason: string }>;
}

const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
const reachable = await admin.connect().then(
  () => true,
  (err: unknown) => {
    if (process.env.INFERD_CI === '1')
      throw new Error(`PostgreSQL unreachable at ${PG_URL}; CI needs it`, { cause: err });
    process.stderr.write(
      `\n*** SKIPPING audit readiness tests: PostgreSQL unreachable at ${PG_URL} (${(err as Error).message}) ***\n\n`,
    );
    return false;
  },
);

describe('readiness with acknowledged audit on a PostgreSQL store that goes down', { skip: !reachable }, () => {
  const database = `inferd_ready_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  url.password = 'not-to-be-shown'; // trust auth ignores it; no answer may show it
  let server: RunningServer;
  let grpc: InferenceClient;

  const readiness = async () => {
    const res = await fetch(`${server.url}/v2/health/ready`);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as ReadyBody) : undefined, text };
  };
  const allowConnections = async (allow: boolean) => {
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS ${allow}`);
    if (!allow)
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
  };

  before(async () => {
    await admin.query(`CREATE DATABASE "${database}"`);
    server = await startAuditServer(
      { store: 'postgres', url: url.toString(), durability: 'acknowledged', health_probe_ms: 50 },
      { grpc_port: 0, host: '127.0.0.1', metrics_port: -1, load_models: ['digits'], model_control_mode: 'explicit' },
    );
    grpc = connect(server.grpcUrl!);
  });
  after(async () => {
    grpc?.close();
    await server?.close();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  test('store up: ready, answers', async () => {
    assert.equal((await readiness()).status, 200);
    assert.equal(await inferDigits(server.url, { id: 'before' }), 200);
  });

  test('store down: readiness false with the reason (HTTP and gRPC), requests 503', async (t) => {
    await allowConnections(false);
    await waitFor(async () => (await readiness()).status === 400, 'readiness to turn false', t.signal);
    const { body, text } = await readiness();
    assert.equal(body?.ready, false);
    const audit = body?.reasons.find((r) => r.dependency === 'audit_store');
    assert.ok(audit, text);
    assert.match(
      audit.reason,
      /the postgres audit store cannot commit \(.+\); sampled requests are refused while audit\.durability is acknowledged/,
    );
    assert.ok(!text.includes(url.password) && !text.includes(url.host), `no connection URL or password: ${text}`);
    assert.equal((await grpc.call<{ ready: boolean }>('ServerReady')).ready, false);
    assert.equal(
      await inferDigits(server.url, { id: 'during' }),
      503,
      'requests do fail meanwhile: readiness told the truth',
    );
  });

  test('store back: readiness true again without traffic, requests answered', async (t) => {
    await allowConnections(true);
    await waitFor(async () => (await readiness()).status === 200, 'readiness to turn true again', t.signal);
    assert.equal((await grpc.call<{ ready: boolean }>('ServerReady')).ready, true);
    assert.equal(await inferDigits(server.url, { id: 'after' }), 200);
  });
});

describe('readiness with acknowledged audit on a SQLite file another process locks', () => {
  const folder = tempDir('inferd-audit-ready-');
  const path = join(folder.dir, 'audit.db');
  let server: RunningServer;
  let locker: Database.Database | undefined;

  before(async () => {
    server = await startAuditServer(
      { store: 'sqlite', path, durability: 'acknowledged', health_probe_ms: 50 },
      { grpc_port: -1, host: '127.0.0.1', metrics_port: -1, load_models: ['digits'], model_control_mode: 'explicit' },
    );
  });
  after(async () => {
    locker?.close();
    await server?.close();
    folder.cleanup();
  });

  test('locked: readiness false with the reason and no file path; unlocked: true again', async (t) => {
    assert.equal((await fetch(`${server.url}/v2/health/ready`)).status, 200);
    locker = new Database(path);
    locker.exec('BEGIN EXCLUSIVE');
    let text = '';
    await waitFor(
      async () => {
        const res = await fetch(`${server.url}/v2/health/ready`);
        text = await res.text();
        return res.status === 400;
      },
      'readiness to turn false',
      t.signal,
    );
    const body = JSON.parse(text) as ReadyBody;
    const audit = body.reasons.find((r) => r.dependency === 'audit_store');
    assert.match(
      audit?.reason ?? '',
      /the sqlite audit store cannot commit \(audit SQLite store: database is locked\)/,
      text,
    );
    assert.ok(!text.includes(folder.dir), `no file path: ${text}`);
    locker.exec('ROLLBACK');
    locker.close();
    locker = undefined;
    await waitFor(
      async () => (await fetch(`${server.url}/v2/health/ready`)).status === 200,
      'readiness to turn true again',
      t.signal,
    );
    assert.equal(await inferDigits(server.url, { id: 'after-unlock' }), 200);
  });
});
