/**
 * The `inferd` command as users run it: the package's `bin` file, `npx inferd` in a clone, and the
 * `node_modules/.bin/inferd` link npm makes in a project that depends on inferd (README "Running the inferd command").
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/server.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };

function shown(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status} (signal ${r.signal}, error ${r.error?.message})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

/** Runs npm offline, so a command that is not found locally fails instead of fetching a package of that name. */
function npm(args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync('npm', ['--offline', '--no-audit', '--no-fund', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

test("the package's bin file is a node script that prints the usage and exits 0", () => {
  const bin = resolve(ROOT, pkg.bin.inferd);
  assert.match(readFileSync(bin, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, shown(r));
  assert.match(r.stdout, /Usage: inferd <command>/);
});

test('npx inferd --help in the clone runs its own bin', () => {
  const r = npm(['exec', '--', 'inferd', '--help'], ROOT);
  assert.equal(r.status, 0, shown(r));
  assert.match(r.stdout, /Usage: inferd <command>/);
});

test('a project depending on inferd runs node_modules/.bin/inferd', () => {
  const project = mkdtempSync(join(tmpdir(), 'inferd-dependent-'));
  try {
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'dependent', version: '1.0.0', private: true }),
    );
    const install = npm(['install', '--no-save', '--ignore-scripts', ROOT], project);
    assert.equal(install.status, 0, shown(install));
    const r = spawnSync(join(project, 'node_modules', '.bin', 'inferd'), ['--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, shown(r));
    assert.match(r.stdout, /Usage: inferd <command>/);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
