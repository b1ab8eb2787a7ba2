/**
 * No test file is silently dropped: every file that declares tests is a `*.test.ts`, every `*.test.ts` is in
 * exactly one of the two suites, and the scripts CI runs cover both suites.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/root.js';
import { isTestFile, suiteOf, suiteSources, TEST_ROOTS, typeScriptFiles } from './test-files.js';

const allSources = TEST_ROOTS.flatMap((dir) => typeScriptFiles(ROOT, dir));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** A value import from node:test (a type-only import declares no test). */
const DECLARES_TESTS = /^import\s+(?!type\b)[^;]*?from\s+'node:test'/m;

describe('test suites', () => {
  it('every file importing node:test for its functions is named *.test.ts, so a suite runs it', () => {
    const declaring = allSources.filter((f) => DECLARES_TESTS.test(read(f)));
    assert.ok(declaring.length > 100, `found only ${declaring.length} files declaring tests: the scan is broken`);
    const unnamed = declaring.filter((f) => !isTestFile(f));
    assert.deepEqual(
      unnamed,
      [],
      'these files declare tests but no suite runs them: rename them to *.test.ts (or *.slow.test.ts)',
    );
  });

  it('puts every *.test.ts in exactly one of the default and slow suites', () => {
    const tests = allSources.filter(isTestFile);
    const fast = suiteSources(ROOT, 'default');
    const slow = suiteSources(ROOT, 'slow');
    assert.deepEqual(
      fast.filter((f) => slow.includes(f)),
      [],
      'in both suites',
    );
    assert.deepEqual(
      tests.filter((f) => !fast.includes(f) && !slow.includes(f)),
      [],
      'in no suite',
    );
    assert.equal(fast.length + slow.length, tests.length);
    assert.ok(slow.length > 0, 'the slow suite is empty');
    for (const f of slow) assert.equal(suiteOf(f), 'slow', f);
  });

  it('npm test runs the default suite, npm run test:slow the slow one, and CI runs both', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts.test, /node dist\/test\/suites\/run\.js(?! --slow)/);
    assert.match(scripts['test:slow'], /node dist\/test\/suites\/run\.js --slow/);
    const ci = read('.ci/run')
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'));
    assert.ok(
      ci.some((l) => /^npm test\b/.test(l.trim())),
      '.ci/run does not run npm test',
    );
    assert.ok(
      ci.some((l) => /^npm run test:slow\b/.test(l.trim())),
      '.ci/run does not run npm run test:slow',
    );
  });
});
