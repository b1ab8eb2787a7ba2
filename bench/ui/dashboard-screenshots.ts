/**
 * Writes the README's screenshots of the dashboard (docs/dashboard-*.png): an in-process server with a few models
 * (digits with an SLO, drift monitoring and a canary rollout in progress; a faulty candidate rolled back; an
 * XGBoost model), some traffic, then Chromium on each view. `node dist/bench/ui/dashboard-screenshots.js`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { resolveServerConfig, startServer } from '../../src/index.js';
import { inferBody, referenceRows } from '../bodies.js';
import { INFERD_CLI, MODELS_DIR, REPO_ROOT } from '../paths.js';
import { startPhasedLoad } from '../phased-load.js';

const CHROMIUM = process.env.INFERD_CHROMIUM ?? '/usr/bin/chromium';
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');

function version(dir: string, model: string, v: number, onnx: string): void {
  mkdirSync(join(dir, model, String(v)), { recursive: true });
  cpSync(onnx, join(dir, model, String(v), 'model.onnx'));
}

function repository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-screenshots-'));
  const digits = join(MODELS_DIR, 'digits', '1', 'model.onnx');
  version(dir, 'digits', 1, digits);
  version(dir, 'digits', 2, join(FIXTURES, 'models', 'digits_retrained.onnx'));
  writeFileSync(
    join(dir, 'digits', 'config.yaml'),
    [
      'max_batch_size: 64',
      'version_policy: all',
      'traffic: { weights: { 1: 100 } }',
      'slo: { availability: 0.999, latency: { threshold_ms: 50, percentile: 0.99 } }',
      'drift: { window: { rows: 200, slices: 4 } }',
    ].join('\n'),
  );
  const profiled = spawnSync(process.execPath, [
    INFERD_CLI,
    'profile',
    '--model-repository',
    dir,
    '--model',
    'digits',
    '--version',
    '1',
    '--data',
    join(FIXTURES, 'drift', 'digits_train.csv'),
    '--exclude',
    'label',
  ]);
  if (profiled.status !== 0) throw new Error(profiled.stderr.toString());
  version(dir, 'checkout_risk', 1, digits);
  version(dir, 'checkout_risk', 2, join(FIXTURES, 'models', 'digits_faulty.onnx'));
  writeFileSync(
    join(dir, 'checkout_risk', 'config.yaml'),
    'version_policy: all\ntraffic: { weights: { 1: 100 } }\nslo: { availability: 0.995 }\n',
  );
  for (const name of ['recommender', 'churn']) version(dir, name, 1, digits);
  cpSync(join(MODELS_DIR, 'breast_cancer_xgb'), join(dir, 'breast_cancer_xgb'), { recursive: true });
  return dir;
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

async function main(): Promise<void> {
  const dir = repository();
  const server = await startServer(
    resolveServerConfig({
      model_repository: dir,
      http_port: 0,
      host: '127.0.0.1',
      log_level: 'error',
      cost_per_cpu_second: 0.00004,
    }),
  );
  const rows = referenceRows();
  const glitch = rows.map((r, i) => inferBody(r.map((x, j) => (j === i % 64 ? 20 : x))));
  const loads = [
    startPhasedLoad({
      url: `${server.url}/v2/models/digits/infer`,
      bodies: rows.map((r) => inferBody(r)),
      concurrency: 4,
      ratePerS: 150,
      firstPhase: 'x',
    }),
    startPhasedLoad({
      url: `${server.url}/v2/models/recommender/infer`,
      bodies: rows.map((r) => inferBody(r)),
      concurrency: 2,
      ratePerS: 60,
      firstPhase: 'x',
    }),
    startPhasedLoad({
      url: `${server.url}/v2/models/churn/infer`,
      bodies: rows.map((r) => inferBody(r)),
      concurrency: 2,
      ratePerS: 30,
      firstPhase: 'x',
    }),
    startPhasedLoad({
      url: `${server.url}/v2/models/checkout_risk/infer`,
      bodies: glitch,
      concurrency: 2,
      ratePerS: 40,
      firstPhase: 'x',
    }),
  ];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${server.url}/ui`);
    await sleep(15_000);
    await post(`${server.url}/v1/models/digits/rollouts`, {
      candidate: 2,
      steps: [10, 25, 50, 100],
      interval_ms: 20_000,
      checks: {
        error_rate: { max_increase: 0.02, min_samples: 50 },
        p99_latency: { max_ratio: 3, tolerance_ms: 50, min_samples: 50 },
      },
    });
    await sleep(10_000);
    await post(`${server.url}/v1/models/checkout_risk/rollouts`, {
      candidate: 2,
      steps: [20, 100],
      interval_ms: 5000,
      checks: { error_rate: { max_increase: 0.05, min_samples: 20 } },
    });
    await sleep(35_000);
    const shoot = async (hash: string, file: string) => {
      await page.goto(`${server.url}/ui#${hash}`);
      await page.waitForSelector('body[data-snapshot]');
      await sleep(1500);
      await page.screenshot({ path: join(REPO_ROOT, 'docs', file), fullPage: true });
    };
    await shoot('executive', 'dashboard-executive.png');
    await shoot('oncall', 'dashboard-oncall.png');
    await page.goto(`${server.url}/ui#debug/digits`);
    await page.waitForSelector('[data-testid=try-send]');
    await page.locator('[data-testid=try-send]').click();
    await sleep(1500);
    await page.screenshot({ path: join(REPO_ROOT, 'docs', 'dashboard-debug.png'), fullPage: true });
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.goto(`${server.url}/ui#debug/breast_cancer_xgb`);
    await page.waitForSelector('[data-testid=try-form] textarea');
    await page.locator('[data-testid=try-input-input]').fill(rowsOfBreastCancer());
    await page.locator('[data-testid=try-send]').click();
    await page.waitForSelector('[data-testid=try-shap]');
    await page
      .locator('[data-testid=try-form]')
      .screenshot({ path: join(REPO_ROOT, 'docs', 'dashboard-try-treeshap.png') });
  } finally {
    await Promise.all(loads.map((l) => l.stop()));
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The README's breast cancer example row. */
function rowsOfBreastCancer(): string {
  return '17.99, 10.38, 122.8, 1001, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871, 1.095, 0.9053, 8.589, 153.4, 0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193, 25.38, 17.33, 184.6, 2019, 0.1622, 0.6656, 0.7119, 0.2654, 0.4601, 0.1189';
}

await main();
