/**
 * Feast compatibility against the real Redis: entries written byte for byte as Feast's RedisOnlineStore writes
 * them (test/fixtures/feast, from scripts/fixtures/make_feast_fixture.py) are read back by the feast store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { FeastFeatureSource } from '../../src/features/feast/feast-source.js';
import { fixtureView, readFeastFixture } from '../../src/features/feast/feast-fixture.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { deleteKeys, redisSkip, REDIS_URL } from './redis-target.js';

const fixture = readFeastFixture();
const skip = await redisSkip();

describe('feast store reads entries written as Feast writes them', { skip }, () => {
  let client: Redis;
  before(async () => {
    client = new Redis(REDIS_URL);
    for (const e of fixture.entries) {
      const fields = Object.entries(e.fields_hex).flatMap(([f, v]) => [Buffer.from(f, 'hex'), Buffer.from(v, 'hex')]);
      await client.hset(Buffer.from(e.key_hex, 'hex'), ...fields);
    }
  });
  after(async () => {
    await deleteKeys(`*${fixture.project}`);
    client?.disconnect();
  });

  for (const version of [2, 3] as const) {
    it(`entity key serialization version ${version}: string, int64 and composite keys; float, double, int64, int32, bool and null values`, async () => {
      const source = new FeastFeatureSource({
        name: 'feast',
        url: REDIS_URL,
        project: fixture.project,
        entityKeySerializationVersion: version,
        commandTimeoutMs: 1000,
        logger: silentLogger(),
      });
      await source.start();
      try {
        for (const e of fixture.entries.filter((x) => x.version === version)) {
          const view = fixtureView(fixture, e);
          const [row] = await source.read(view, [view.entities.map((s) => String(e.entities[s.name]))]);
          assert.ok(row, `row for ${JSON.stringify(e.entities)}`);
          assert.equal(row.eventTimeMs, e.event_time_ms);
          assert.deepEqual(row.values, e.values);
        }
      } finally {
        await source.stop();
      }
    });
  }
});
