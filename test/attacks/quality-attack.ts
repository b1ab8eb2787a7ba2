/**
 * Attack: quality reports and feedback as a careless or hostile client sends them. The server's prediction log holds
 * 100,000 labels of digits (seeded straight into the feedback table, about a second); the attack then asks, all at
 * once, for reports of the most windows allowed (each over every label), for one of 1,000 windows (refused: 400),
 * scrapes /metrics (whose quality gauges cover the same labels) and posts a batch of 10,000 labels with unknown ids.
 * It used to block the event loop for seconds per report (minutes for 100 windows); the probe, an inference of
 * digits on another connection, must keep being answered. Refusals (400, 503) are the expected defence.
 */
import { join } from 'node:path';
import { tempDir } from '../audit/audit-helpers.js';
import { readJsonFixture, tempRepository } from '../helpers/server.js';
import { startQualityServer } from '../quality/feedback-helpers.js';
import { seedSqliteLabels } from '../quality/quality-seed.js';
import type { AttackScenario, AttackSetup } from './attack.js';

export interface QualityAttackOptions {
  /** Labels seeded; default 100,000. */
  readonly labels?: number;
  /** Reports of `windows` windows asked for at once; default 3. */
  readonly reports?: number;
  /** Windows per report; default 10 (quality.max_windows). */
  readonly windows?: number;
}

const DIGITS = readJsonFixture<{ inputs: number[][] }>('test/fixtures/reference/digits.json');

/** `n` windows from 24h down a minute at a time: each holds every seeded label (the last hour's). */
function windows(n: number): string {
  return Array.from({ length: n }, (_, i) => `${24 * 60 - i}m`).join(',');
}

async function drain(response: Promise<Response>): Promise<void> {
  try {
    await (await response).arrayBuffer();
  } catch {
    // a refused or cut connection is an outcome of the attack, not a failure of the scenario
  }
}

export function qualityAttack(options: QualityAttackOptions = {}): AttackScenario {
  const labels = options.labels ?? 100_000;
  const reports = options.reports ?? 3;
  const perReport = options.windows ?? 10;
  return {
    name: 'quality-reports-100k-labels',
    async setup(): Promise<AttackSetup> {
      const dir = tempDir('inferd-quality-attack-');
      const repo = await tempRepository({
        digits: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
      });
      const db = join(dir.dir, 'audit.db');
      await seedSqliteLabels(db, labels, Date.now());
      const server = await startQualityServer(repo.dir, { store: 'sqlite', path: db }, { metrics_refresh_seconds: 0 });
      const url = server.url;
      return {
        httpUrl: url,
        probe: {
          path: '/v2/models/digits/infer',
          body: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: [DIGITS.inputs[0]] }] },
        },
        async run() {
          const unknown = {
            feedback: Array.from({ length: 10_000 }, (_, i) => ({ id: `attack-unknown-${i}`, label: 1 })),
          };
          await Promise.all([
            ...Array.from({ length: reports }, () =>
              drain(fetch(`${url}/v1/models/digits/quality?windows=${windows(perReport)}`)),
            ),
            drain(fetch(`${url}/v1/models/digits/quality?windows=${windows(1000)}`)),
            ...Array.from({ length: 3 }, () => drain(fetch(server.metricsUrl!))),
            drain(
              fetch(`${url}/v1/feedback`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(unknown),
              }),
            ),
          ]);
        },
        async close() {
          await server.close();
          await repo.cleanup();
          dir.cleanup();
        },
      };
    },
  };
}

/** The scenario as the watchdog runs it. */
export const QUALITY_ATTACK: AttackScenario = qualityAttack();
