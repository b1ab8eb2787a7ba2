/**
 * The test PostgreSQL (127.0.0.1:5432, trust auth, database `test`): each suite makes a schema of its own with a
 * unique name and drops it afterwards; other schemas are never touched. When the server is unreachable the suites
 * are skipped loudly, except in CI (INFERD_CI=1), where that is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.INFERD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestPostgres {
  readonly client: pg.Client;
  /** A schema name unique to this run (`suffix` tells several apart); cleanup() drops it. */
  schema(suffix?: string): string;
  /** Drops every schema named by schema() (and everything in them) and closes the client. */
  cleanup(): Promise<void>;
}

/** Connects and names a schema for this run; a string explains why PostgreSQL cannot be used. Throws in CI. */
export async function testPostgres(): Promise<TestPostgres | string> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (err) {
    const reason = `PostgreSQL unreachable at ${PG_URL} (${(err as Error).message})`;
    if (process.env.INFERD_CI === '1')
      throw new Error(`${reason}; CI needs it (start it, or see .ci/run)`, { cause: err });
    process.stderr.write(`\n*** SKIPPING PostgreSQL audit tests: ${reason} ***\n\n`);
    return reason;
  }
  const base = `inferd_audit_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const named = new Set<string>();
  return {
    client,
    schema(suffix = '') {
      const name = `${base}${suffix}`;
      named.add(name);
      return name;
    },
    async cleanup() {
      for (const name of named) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      await client.end();
    },
  };
}
