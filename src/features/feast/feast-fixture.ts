/**
 * The Feast fixture (test/fixtures/feast/redis_entries.json, written by scripts/fixtures/make_feast_fixture.py
 * with Feast's serialisation) as typed data, for the layout unit test and the Redis test.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FeatureType, FeatureViewConfig } from '../../config/index.js';

export interface FeastFixtureEntry {
  readonly version: 2 | 3;
  readonly entities: Readonly<Record<string, string | number>>;
  readonly entity_types: Readonly<Record<string, 'STRING' | 'INT64'>>;
  readonly key_hex: string;
  readonly fields_hex: Readonly<Record<string, string>>;
  readonly event_time_ms: number;
  readonly values: Readonly<Record<string, number | boolean | null>>;
}

export interface FeastFixture {
  readonly project: string;
  readonly view: { readonly name: string; readonly features: ReadonlyArray<[string, string, FeatureType]> };
  readonly entries: readonly FeastFixtureEntry[];
}

/** Reads the fixture; works from src/ and from dist/src/ (both sit under the project root). */
export function readFeastFixture(): FeastFixture {
  const here = fileURLToPath(import.meta.url);
  const root = here.slice(0, here.lastIndexOf(`${here.includes('/dist/') ? '/dist' : ''}/src/`));
  return JSON.parse(readFileSync(`${root}/test/fixtures/feast/redis_entries.json`, 'utf8')) as FeastFixture;
}

/** A feature view matching a fixture entry's entities and the fixture's features. */
export function fixtureView(fixture: FeastFixture, entry: FeastFixtureEntry): FeatureViewConfig {
  return {
    name: fixture.view.name,
    store: 'feast',
    entities: Object.keys(entry.entities).map((name) => ({ name, type: entry.entity_types[name] })),
    features: fixture.view.features.map(([name, , type]) => ({
      name,
      type,
      default: NaN,
      onNull: 'impute',
      onInvalid: 'reject',
    })),
    maxAgeMs: Number.MAX_SAFE_INTEGER,
    fallback: 'default',
    cache: { ttlMs: 0, maxEntries: 1, maxBytes: 1024 },
  };
}
