/**
 * `inferd prometheus-rules`: the generated rules pass `promtool check rules` and the unit tests in
 * fixtures/burn-rate.rules-test.yml (a fast burn pages, a slow burn only opens a ticket); CLI behaviour.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { CLI_PATH, MODELS_DIR, ROOT } from '../helpers/server.js';
import { promtool, requirePromtool } from './promtool.js';

const DIGITS_SLO = 'slo: { availability: 0.999, latency: { threshold_ms: 50, percentile: 0.99 }, window_days: 30 }\n';

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI_PATH, 'prometheus-rules', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as Error & { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A temporary repository whose models have only the given config.yaml texts (rules need no artefacts). */
async function withRepository(
  configs: Record<string, string>,
  fn: (dir: string, repo: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'inferd-rules-'));
  try {
    for (const [model, text] of Object.entries(configs)) {
      await mkdir(join(dir, 'repo', model, '1'), { recursive: true });
      await writeFile(join(dir, 'repo', model, 'config.yaml'), text);
    }
    await fn(dir, join(dir, 'repo'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the rules pass promtool check rules and promtool test rules (fast burn pages, slow burn does not)', async (t) => {
  const bin = requirePromtool(t);
  if (!bin) return;
  await withRepository({ digits: DIGITS_SLO }, async (dir, repo) => {
    const rules = join(dir, 'inferd-slo.rules.yml');
    const made = await cli('--model-repository', repo, '--output', rules);
    assert.equal(made.code, 0, made.stderr);
    assert.match(await promtool(bin, ['check', 'rules', rules]), /SUCCESS: 24 rules found/);
    const unit = join(dir, 'burn-rate.rules-test.yml');
    await copyFile(join(ROOT, 'test', 'slo', 'fixtures', 'burn-rate.rules-test.yml'), unit);
    assert.match(await promtool(bin, ['test', 'rules', unit]), /SUCCESS/);
  });
});

test('two models with SLOs give distinct rules that pass promtool check rules --lint-fatal', async (t) => {
  const bin = requirePromtool(t);
  if (!bin) return;
  await withRepository({ digits: DIGITS_SLO, fraud: DIGITS_SLO }, async (dir, repo) => {
    const rules = join(dir, 'inferd-slo.rules.yml');
    const made = await cli('--model-repository', repo, '--output', rules);
    assert.equal(made.code, 0, made.stderr);
    // --lint-fatal refuses rules that record or alert the same name with the same labels (one per model).
    assert.match(await promtool(bin, ['check', 'rules', '--lint-fatal', rules]), /SUCCESS: 48 rules found/);
    const doc = parseYaml(await readFile(rules, 'utf8')) as {
      groups: Array<{ rules: Array<{ labels: Record<string, string> }> }>;
    };
    for (const [i, model] of ['digits', 'fraud'].entries()) {
      for (const r of doc.groups[i].rules) assert.equal(r.labels.model, model, 'every rule names its model');
    }
  });
});

test("the bundled repository's rules link every alert to a runbook that exists", async () => {
  const r = await cli('--model-repository', MODELS_DIR);
  assert.equal(r.code, 0, r.stderr);
  const doc = parseYaml(r.stdout) as {
    groups: Array<{ name: string; rules: Array<{ alert?: string; annotations?: Record<string, string> }> }>;
  };
  assert.ok(
    doc.groups.some((g) => g.name === 'inferd-slo-digits'),
    'digits declares an SLO',
  );
  const alerts = doc.groups.flatMap((g) => g.rules.filter((x) => x.alert));
  assert.ok(alerts.length >= 4);
  for (const a of alerts) {
    assert.equal(a.annotations?.runbook_url, `docs/runbooks/${a.alert}.md`);
    assert.ok(existsSync(join(ROOT, a.annotations.runbook_url)), `runbook ${a.annotations.runbook_url} exists`);
  }
});

test('a repository without SLOs gives empty rules and says so', async () => {
  await withRepository({ plain: 'max_batch_size: 8\n' }, async (_dir, repo) => {
    const r = await cli('--model-repository', repo);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^groups: \[\]$/m);
    assert.match(r.stderr, /no model in .* declares an slo: in its config\.yaml; the rules are empty/);
  });
});

test('an unreadable config fails the command instead of dropping its SLO', async () => {
  await withRepository(
    { good: DIGITS_SLO, bad: 'slo: { latency: { threshold_ms: 30, percentile: 0.99 } }\n' },
    async (dir, repo) => {
      const out = join(dir, 'rules.yml');
      const r = await cli('--model-repository', repo, '--output', out);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /cannot read the config of 1 model\(s\)[\s\S]*bad: bad\/config\.yaml: slo\.latency\.threshold_ms 30 is not a bucket bound.*use 25 or 50/,
      );
      assert.equal(existsSync(out), false, 'no partial rules file');
    },
  );
});

test('--runbook-base-url prefixes every runbook_url; --help documents the options', async () => {
  await withRepository({ digits: DIGITS_SLO }, async (dir, repo) => {
    const out = join(dir, 'rules.yml');
    const r = await cli(
      '--model-repository',
      repo,
      '--runbook-base-url',
      'https://example.com/runbooks/',
      '--output',
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote rules for 1 model\(s\)/);
    assert.match(
      await readFile(out, 'utf8'),
      /runbook_url: https:\/\/example\.com\/runbooks\/InferdLatencySlowBurn\.md/,
    );
  });
  const help = await cli('--help');
  assert.match(help.stdout, /--model-repository DIR[\s\S]*--output FILE[\s\S]*--runbook-base-url URL/);
  const bad = await cli('--nope');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Unknown option '--nope'/);
});
