import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeatureCache, type FetchOutcome } from './feature-cache.js';

const row = (x: number) => ({ eventTimeMs: 0, values: { x } });

function cache(config: Partial<{ ttlMs: number; maxEntries: number; maxBytes: number }> = {}) {
  const clock = { t: 0 };
  const c = new FeatureCache({ ttlMs: 100, maxEntries: 1000, maxBytes: 1 << 20, ...config }, () => clock.t);
  return { c, clock };
}

test('an entry is fresh for ttlMs, then kept (not fresh) for stale-if-error', () => {
  const { c, clock } = cache({ ttlMs: 100 });
  c.set('a', row(1));
  clock.t = 99;
  assert.ok(c.isFresh(c.get('a')!));
  clock.t = 100;
  const e = c.get('a')!;
  assert.equal(c.isFresh(e), false);
  assert.deepEqual(e.row, row(1));
});

test('"no row" answers are cached too', () => {
  const { c } = cache();
  c.set('ghost', undefined);
  assert.equal(c.get('ghost')!.row, undefined);
});

test('evicts the least recently used entry beyond max_entries', () => {
  const { c } = cache({ maxEntries: 2 });
  c.set('a', row(1));
  c.set('b', row(2));
  c.get('a');
  c.set('c', row(3));
  assert.ok(c.get('a'));
  assert.equal(c.get('b'), undefined);
  assert.ok(c.get('c'));
});

test('stays within max_bytes', () => {
  const { c } = cache({ maxBytes: 2048 });
  for (let i = 0; i < 100; i++) c.set(`key-${i}`, row(i));
  assert.ok(c.bytes <= 2048, `${c.bytes} bytes`);
  assert.ok(c.size > 1 && c.size < 100);
  assert.ok(c.get('key-99'), 'the newest entry survives');
});

test('ttl_ms 0 turns the cache off', () => {
  const { c } = cache({ ttlMs: 0 });
  c.set('a', row(1));
  assert.equal(c.get('a'), undefined);
});

test('a fetch in flight is shared until it settles', async () => {
  const { c } = cache();
  let resolve!: (o: FetchOutcome) => void;
  const p = new Promise<FetchOutcome>((r) => (resolve = r));
  c.track('a', p);
  assert.equal(c.pending('a'), p);
  resolve({ ok: true, row: row(1) });
  await p;
  await new Promise((r) => setImmediate(r));
  assert.equal(c.pending('a'), undefined);
});
