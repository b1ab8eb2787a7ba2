/** Finding promtool (Debian's `prometheus` package) for the rules tests: required in CI, a loud skip elsewhere. */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';

const INSTALL = 'install it with `apt-get install -y prometheus` (Debian ships promtool in that package)';

/** 'promtool' when it runs; otherwise fails the test in CI (INFERD_CI=1) or skips it with a visible warning. */
export function requirePromtool(t: TestContext): string | undefined {
  if (!spawnSync('promtool', ['--version']).error) return 'promtool';
  const message = `promtool is not installed; ${INSTALL}`;
  if (process.env.INFERD_CI === '1') assert.fail(`${message}. CI needs it to check the Prometheus rules.`);
  process.stderr.write(`\n*** SKIPPING Prometheus rules checks: ${message} ***\n\n`);
  t.skip(message);
  return undefined;
}

/** Runs promtool and fails the test with its output when it exits non-zero. */
export async function promtool(bin: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, [...args]);
    return stdout + stderr;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    assert.fail(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}
