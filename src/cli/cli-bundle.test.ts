import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundleIsCurrent, mtimeOf, type BundleFiles } from './cli-bundle.js';

function files(): BundleFiles & { cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-cli-bundle-'));
  return {
    bundle: join(dir, 'b.cjs'),
    cache: join(dir, 'b.cache'),
    stamp: join(dir, 'b.json'),
    buildInfo: join(dir, 'tsconfig.tsbuildinfo'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

test('no stamp: no bundle to run', (t) => {
  const f = files();
  t.after(() => f.cleanup());
  writeFileSync(f.buildInfo, '{}');
  assert.equal(bundleIsCurrent(f), false);
});

test('the bundle is current while the build info is the one it was built from, and stale after a tsc build', (t) => {
  const f = files();
  t.after(() => f.cleanup());
  writeFileSync(f.buildInfo, '{}');
  writeFileSync(f.stamp, JSON.stringify({ buildInfoMtimeMs: mtimeOf(f.buildInfo) }));
  assert.equal(bundleIsCurrent(f), true);
  const later = new Date(Date.now() + 60_000);
  utimesSync(f.buildInfo, later, later); // what `tsc -b` rewriting it does
  assert.equal(bundleIsCurrent(f), false);
});

test('without build info (the container image compiles without it) the stamped bundle is current', (t) => {
  const f = files();
  t.after(() => f.cleanup());
  writeFileSync(f.stamp, JSON.stringify({ buildInfoMtimeMs: null }));
  assert.equal(bundleIsCurrent(f), true);
});
