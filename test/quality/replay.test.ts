/**
 * `inferd replay` over a real prediction log: traffic answered by digits v1 is logged by a started server (SQLite),
 * then the command replays it (in its own process) against v1 again, which must agree on every row with no output
 * difference, and against the biased canary candidate (v2, test/fixtures/models/digits_biased.onnx), whose
 * disagreement must be exactly the rows where its label differs from v1's, in process and over HTTP.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { RunningServer } from '../../src/index.js';
import { CLI_PATH } from '../helpers/server.js';
import { MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { DIGITS, infer, startQualityServer } from './feedback-helpers.js';

const run = promisify(execFile);

interface ReplayJson {
  selected: number;
  compared: number;
  failed: number;
  kind: string;
  rows: number;
  agreeing_rows: number;
  agreement: number;
  outputs: Record<string, { mean_abs_diff: number; max_abs_diff: number }>;
  latency_ms: { p50: number; p95: number; p99: number };
  elapsed_ms: number;
  most_different: Array<{ request_id: string; logged: number[]; replayed: number[]; max_abs_diff: number }>;
}

describe('inferd replay', () => {
  let repo: { dir: string; cleanup(): void };
  let server: RunningServer;
  let configFile: string;
  const logged = new Map<string, number>();
  const biased = new Map<string, number>();

  before(async () => {
    repo = tempRepo({
      digits: {
        versions: { 1: MODELS.digits, 2: MODELS.biased },
        config: 'max_batch_size: 8\nversion_policy: all\ntraffic: { weights: { 1: 100 } }\n',
      },
    });
    const db = join(repo.dir, 'audit.db');
    server = await startQualityServer(repo.dir, { store: 'sqlite', path: db });
    for (let i = 0; i < DIGITS.inputs.length; i++) {
      const r = await infer(server.url, 'digits', `rp-${i}`, [DIGITS.inputs[i]], '1');
      logged.set(`rp-${i}`, r.outputs.find((o) => o.name === 'label')!.data[0] as number);
    }
    // What the biased version says, asked directly (not logged as rp-*): the expected disagreement.
    for (let i = 0; i < DIGITS.inputs.length; i++) {
      const r = await infer(server.url, 'digits', `direct-${i}`, [DIGITS.inputs[i]], '2');
      biased.set(`rp-${i}`, r.outputs.find((o) => o.name === 'label')!.data[0] as number);
    }
    await server.inferd.audit!.flush();
    configFile = join(repo.dir, 'inferd.yaml');
    writeFileSync(configFile, `model_repository: ${repo.dir}\naudit: { enabled: true, store: sqlite, path: ${db} }\n`);
  });
  after(async () => {
    await server?.close();
    repo?.cleanup();
  });

  const replay = async (...args: string[]) => {
    const { stdout, stderr } = await run(
      process.execPath,
      [CLI_PATH, 'replay', '--config', configFile, '--model', 'digits', '--since', '1h', ...args],
      { timeout: 120_000 },
    );
    return { report: JSON.parse(stdout) as ReplayJson, stderr };
  };

  it('against the identical version: 100% agreement and no output difference, with a progress bar', async (t) => {
    // The directly asked rows of v2 are logged too; --limit keeps the replay to the first 32 (oldest first): v1's.
    const { report, stderr } = await replay('--version', '1', '--limit', '32', '--rate', '200', '--json');
    assert.equal(report.selected, 32);
    assert.equal(report.compared, 32);
    assert.equal(report.failed, 0);
    assert.equal(report.kind, 'classification');
    assert.deepEqual([report.rows, report.agreeing_rows, report.agreement], [32, 32, 1]);
    assert.ok(report.outputs.logits.max_abs_diff <= 1e-5, JSON.stringify(report.outputs));
    assert.match(stderr, /replay digits \[#+\] 100% 32 of 32 predictions/);
    t.diagnostic(
      `replay latency in process: p50 ${report.latency_ms.p50.toFixed(2)} ms, p95 ${report.latency_ms.p95.toFixed(2)} ms`,
    );
  });

  const expectedDisagreement = () => [...logged].filter(([id, label]) => biased.get(id) !== label).map(([id]) => id);

  for (const where of ['in process', 'over HTTP'] as const) {
    it(`against the biased version (${where}): the disagreement is exactly the rows whose label changes`, async () => {
      const differ = expectedDisagreement();
      assert.ok(differ.length > 0 && differ.length < 32, `the biased version changes ${differ.length} of 32 labels`);
      const args = ['--version', '2', '--limit', '32', '--rate', '200', '--json', '--top', String(differ.length)];
      const { report } = await replay(...args, ...(where === 'over HTTP' ? ['--url', server.url] : []));
      assert.equal(report.compared, 32);
      assert.equal(report.agreeing_rows, 32 - differ.length);
      assert.equal(report.agreement, (32 - differ.length) / 32);
      assert.deepEqual(report.most_different.map((r) => r.request_id).sort(), [...differ].sort());
      for (const r of report.most_different)
        assert.deepEqual([r.logged, r.replayed], [[logged.get(r.request_id)], [biased.get(r.request_id)]]);
      assert.ok(report.outputs.logits.max_abs_diff > 1, 'class 9 logit moved by the bias');
    });
  }

  it('paces requests at --rate', async (t) => {
    const slow = (await replay('--version', '1', '--limit', '11', '--rate', '20', '--json')).report;
    const fast = (await replay('--version', '1', '--limit', '11', '--rate', '1000', '--json')).report;
    assert.deepEqual([slow.compared, fast.compared], [11, 11]);
    // 11 requests at 20/s: the last starts at least 10 intervals (500 ms) after the first.
    assert.ok(slow.elapsed_ms >= 500, `took ${slow.elapsed_ms.toFixed(0)} ms`);
    t.diagnostic(
      `11 requests: ${slow.elapsed_ms.toFixed(0)} ms at --rate 20, ${fast.elapsed_ms.toFixed(0)} ms at --rate 1000`,
    );
  });

  it('says what is wrong with its arguments', async () => {
    await assert.rejects(
      run(process.execPath, [CLI_PATH, 'replay', '--config', configFile, '--model', 'digits', '--since', 'yesterday']),
      (err: { stderr: string; code: number }) => {
        assert.match(err.stderr, /--since 'yesterday' is neither a duration/);
        return err.code === 2;
      },
    );
  });
});
