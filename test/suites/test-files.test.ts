/**
 * No test file is silently dropped: every file that declares tests is a `*.test.ts`, every `*.test.ts` is in
 * exactly one of the two suites, and the scripts CI runs cover both suites. Files that must have the machine to
 * themselves run alone: the list of them names real default-suite files, and a file showing the signs is on it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/root.js';
import {
  EXCLUSIVE_FILES,
  isTestFile,
  runsAlone,
  suiteGroups,
  suiteOf,
  suiteSources,
  TEST_ROOTS,
  typeScriptFiles,
} from './test-files.js';

const allSources = TEST_ROOTS.flatMap((dir) => typeScriptFiles(ROOT, dir));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/**
 * Signs that a test file would see another one running beside it: it watches the event loop's delay or
 * utilisation, or hangs, kills or restarts a process (a Redis of its own, a CLI server).
 */
const NEEDS_THE_MACHINE = /monitorEventLoopDelay|eventLoopUtilization|'SIG(KILL|STOP|HUP)'|new OwnRedis\(/;

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

  it('runs a file alone only when it is a slow one or on the exclusive list, and every listed file exists', () => {
    const fast = suiteSources(ROOT, 'default');
    const stale = Object.keys(EXCLUSIVE_FILES).filter((f) => !fast.includes(f));
    assert.deepEqual(stale, [], 'EXCLUSIVE_FILES names files that are not default-suite test files (renamed?)');
    for (const [f, reason] of Object.entries(EXCLUSIVE_FILES)) assert.ok(reason.length > 20, `say why ${f} runs alone`);
    for (const f of suiteSources(ROOT, 'slow')) assert.ok(runsAlone(f), f);
    assert.equal(fast.filter(runsAlone).length, Object.keys(EXCLUSIVE_FILES).length);
  });

  it('lists every default-suite file that watches the event loop or kills processes as one to run alone', () => {
    const self = 'test/suites/test-files.test.ts'; // names the signs without showing them
    const unlisted = suiteSources(ROOT, 'default').filter(
      (f) => f !== self && NEEDS_THE_MACHINE.test(read(f)) && !runsAlone(f),
    );
    assert.deepEqual(unlisted, [], 'add these to EXCLUSIVE_FILES in test/suites/test-files.ts, with the reason');
  });

  it('splits a suite into the files that share the machine and those run alone, losing none', () => {
    const { shared, alone } = suiteGroups(ROOT, 'default');
    const sources = suiteSources(ROOT, 'default');
    assert.equal(shared.length + alone.length, sources.length);
    assert.equal(alone.length, Object.keys(EXCLUSIVE_FILES).length);
    assert.ok(shared.length > alone.length, 'most files share the machine');
    const slow = suiteGroups(ROOT, 'slow');
    assert.deepEqual(slow.shared, [], 'slow files always run alone');
    const narrowed = suiteGroups(ROOT, 'default', ['test/suites']);
    assert.deepEqual(
      [...narrowed.shared, ...narrowed.alone].map((f) => f.slice(ROOT.length + 1)),
      ['dist/test/suites/test-files.test.js'],
    );
  });
});
