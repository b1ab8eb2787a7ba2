/**
 * Feedback labels end to end, over a started server and the real stores (SQLite, and the machine's PostgreSQL in a
 * schema of its own): predictions of a binary classifier (at its threshold), a multiclass one and a regression model
 * are answered and logged, their labels posted, and GET /v1/models/{m}/quality and /metrics must equal the numbers
 * computed here, independently, from the same labels and the answers the server gave. Unknown, duplicate and
 * malformed labels are counted or refused, never dropped silently.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { postJson, get, errorMessage, outputNamed, type HttpResult, type TempRepository } from '../helpers/server.js';
import { PG_URL, testPostgres } from '../audit/postgres.js';
import { tempDir } from '../audit/audit-helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  CANCER,
  DIABETES,
  DIGITS,
  THRESHOLD,
  infer,
  outputRows,
  qualityRepository,
  sample,
  startQualityServer,
} from './feedback-helpers.js';
import type { AuditConfigFile } from '../../src/config/audit-config.js';

interface Labelled {
  readonly id: string;
  readonly row: number;
  readonly label: number;
  readonly predicted: number;
  /** Class probabilities as the answer gave them (cancer) or softmax of the logits (digits). */
  readonly probabilities: number[];
}

interface Valued {
  readonly id: string;
  readonly value: number;
  readonly predicted: number;
}

// ---- The expected numbers, computed directly (pairwise AUC, not the server's rank formula). ----

function pairwiseAuc(scores: number[], positive: boolean[]): number {
  let wins = 0,
    pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    for (let j = 0; j < scores.length; j++) {
      if (!positive[i] || positive[j]) continue;
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

function meanLogLoss(rows: readonly Labelled[]): number {
  const eps = 1e-15;
  return (
    rows.reduce((s, r) => s - Math.log(Math.min(1 - eps, Math.max(eps, r.probabilities[r.label]))), 0) / rows.length
  );
}

function binaryExpected(rows: readonly Labelled[]) {
  const tp = rows.filter((r) => r.predicted === 1 && r.label === 1).length;
  const fp = rows.filter((r) => r.predicted === 1 && r.label === 0).length;
  const fn = rows.filter((r) => r.predicted === 0 && r.label === 1).length;
  const tn = rows.filter((r) => r.predicted === 0 && r.label === 0).length;
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  return {
    confusion: { tp, fp, tn, fn },
    accuracy: (tp + tn) / rows.length,
    precision,
    recall,
    f1: (2 * precision * recall) / (precision + recall),
    roc_auc: pairwiseAuc(
      rows.map((r) => r.probabilities[1]),
      rows.map((r) => r.label === 1),
    ),
    log_loss: meanLogLoss(rows),
  };
}

function multiclassExpected(rows: readonly Labelled[]) {
  const aucs: number[] = [];
  for (let k = 0; k < 10; k++) {
    const positive = rows.map((r) => r.label === k);
    if (positive.some(Boolean) && positive.some((p) => !p))
      aucs.push(
        pairwiseAuc(
          rows.map((r) => r.probabilities[k]),
          positive,
        ),
      );
  }
  return {
    accuracy: rows.filter((r) => r.predicted === r.label).length / rows.length,
    roc_auc: aucs.reduce((a, b) => a + b, 0) / aucs.length,
    log_loss: meanLogLoss(rows),
  };
}

function regressionExpected(rows: readonly Valued[]) {
  const d = rows.map((r) => r.predicted - r.value);
  return {
    mae: d.reduce((s, x) => s + Math.abs(x), 0) / d.length,
    rmse: Math.sqrt(d.reduce((s, x) => s + x * x, 0) / d.length),
  };
}

function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

function close(actual: unknown, expected: number, what: string): void {
  assert.equal(typeof actual, 'number', `${what}: ${String(actual)} is not a number`);
  assert.ok(Math.abs((actual as number) - expected) <= 1e-9, `${what}: ${String(actual)}, expected ${expected}`);
}

function quantile(sorted: number[], q: number): number {
  const at = q * (sorted.length - 1);
  return sorted[Math.floor(at)] + (sorted[Math.ceil(at)] - sorted[Math.floor(at)]) * (at - Math.floor(at));
}

// ---- Traffic: predictions answered and logged, labels chosen so that some are wrong. ----

interface Traffic {
  readonly cancer: Labelled[];
  readonly digits: Labelled[];
  readonly diabetes: Valued[];
}

async function sendTraffic(url: string, tag: string): Promise<Traffic> {
  const cancer: Labelled[] = [];
  for (let i = 0; i < CANCER.inputs.length; i++) {
    const r = await infer(url, 'cancer', `${tag}-c${i}`, [CANCER.inputs[i]]);
    // Every fifth label is flipped: the true label is not what the model is scored against.
    cancer.push({
      id: `${tag}-c${i}`,
      row: 0,
      label: CANCER.true_labels[i] ^ (i % 5 === 0 ? 1 : 0),
      predicted: outputNamed(r, 'label').data[0] as number,
      probabilities: outputRows(r, 'probabilities')[0],
    });
  }
  // One request of four rows, labelled row by row.
  const batch = await infer(url, 'cancer', `${tag}-cbatch`, CANCER.inputs.slice(0, 4));
  const probs = outputRows(batch, 'probabilities');
  for (let row = 0; row < 4; row++) {
    cancer.push({
      id: `${tag}-cbatch`,
      row,
      label: 1 - CANCER.true_labels[row],
      predicted: outputNamed(batch, 'label').data[row] as number,
      probabilities: probs[row],
    });
  }
  const digits: Labelled[] = [];
  for (let i = 0; i < DIGITS.inputs.length; i++) {
    const r = await infer(url, 'digits', `${tag}-d${i}`, [DIGITS.inputs[i]]);
    const label = i % 7 === 3 ? (DIGITS.true_labels[i] + 1) % 10 : DIGITS.true_labels[i];
    digits.push({
      id: `${tag}-d${i}`,
      row: 0,
      label,
      predicted: outputNamed(r, 'label').data[0] as number,
      probabilities: softmax(outputRows(r, 'logits')[0]),
    });
  }
  const diabetes: Valued[] = [];
  for (let i = 0; i < 30; i++) {
    const r = await infer(url, 'diabetes', `${tag}-r${i}`, [DIABETES.inputs[i] as number[]]);
    diabetes.push({
      id: `${tag}-r${i}`,
      value: Math.round(DIABETES.predictions[i]) + ((i % 5) - 2) * 3.5,
      predicted: r.outputs[0].data[0] as number,
    });
  }
  return { cancer, digits, diabetes };
}

function feedbackBody(t: Traffic, extra: unknown[] = []) {
  return {
    feedback: [
      ...t.cancer.map((c) => (c.row === 0 ? { id: c.id, label: c.label } : { id: c.id, row: c.row, label: c.label })),
      ...t.digits.map((d) => ({ id: d.id, label: d.label })),
      ...t.diabetes.map((d) => ({ id: d.id, value: d.value })),
      ...extra,
    ],
  };
}

interface QualityJson {
  model: string;
  windows: Array<{
    window: string;
    since: string;
    versions: Array<{
      version: string;
      labels: number;
      classification: Record<string, unknown> | null;
      regression: Record<string, unknown> | null;
      label_delay_seconds: { p50: number; p95: number };
    }>;
  }>;
}

function feedbackSuite(store: string, audit: () => AuditConfigFile, cleanup: () => Promise<void>): void {
  describe(`feedback and live quality (${store})`, () => {
    let repo: TempRepository;
    let server: RunningServer;
    let traffic: Traffic;
    let first: HttpResult;
    let sentAt: { before: number; after: number };
    const tag = `fb-${store}`;

    before(async () => {
      repo = await qualityRepository();
      server = await startQualityServer(repo.dir, audit());
      traffic = await sendTraffic(server.url, tag);
      const unknown = [
        { id: `${tag}-never-predicted-1`, label: 1 },
        { id: `${tag}-never-predicted-2`, value: 2.5 },
        { id: `${tag}-never-predicted-3`, label: 0 },
      ];
      const repeated = { id: traffic.cancer[1].id, label: traffic.cancer[1].label };
      const beforeMs = Date.now();
      first = await postJson(`${server.url}/v1/feedback`, feedbackBody(traffic, [...unknown, repeated]));
      sentAt = { before: beforeMs, after: Date.now() };
    });
    after(async () => {
      await server?.close();
      await repo?.cleanup();
      await cleanup();
    });

    const quality = async (model: string, query = '') => {
      const r = await get(`${server.url}/v1/models/${model}/quality${query}`);
      assert.equal(r.status, 200, r.text);
      return r.json as QualityJson;
    };

    it('counts every label: accepted, unknown request ids, duplicates', () => {
      assert.equal(first.status, 200, first.text);
      const body = first.json as {
        accepted: number;
        unknown: number;
        duplicate: number;
        unusable: number;
        unknown_ids: string[];
      };
      const labelled = traffic.cancer.length + traffic.digits.length + traffic.diabetes.length;
      assert.deepEqual([body.accepted, body.unknown, body.duplicate, body.unusable], [labelled, 3, 1, 0]);
      assert.deepEqual(body.unknown_ids, [
        `${tag}-never-predicted-1`,
        `${tag}-never-predicted-2`,
        `${tag}-never-predicted-3`,
      ]);
    });

    it('a label sent again for the same request and row is a duplicate and changes nothing', async () => {
      const again = await postJson(`${server.url}/v1/feedback`, {
        feedback: traffic.cancer.slice(0, 5).map((c) => ({ id: c.id, label: 1 - c.label })),
      });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.json, {
        accepted: 0,
        unknown: 0,
        duplicate: 5,
        unusable: 0,
        unknown_ids: [],
        unusable_items: [],
      });
    });

    it('binary classifier: accuracy, precision, recall, F1 at the threshold, ROC AUC and log loss equal the direct computation', async () => {
      const expected = binaryExpected(traffic.cancer);
      assert.ok(
        expected.confusion.fp + expected.confusion.fn > 0 && expected.confusion.tp > 0 && expected.confusion.tn > 0,
        JSON.stringify(expected.confusion),
      );
      const report = await quality('cancer');
      assert.deepEqual(
        report.windows.map((w) => w.window),
        ['1h', '24h'],
      );
      for (const w of report.windows) {
        assert.equal(w.versions.length, 1);
        const v = w.versions[0];
        assert.equal(v.labels, traffic.cancer.length);
        const c = v.classification!;
        assert.deepEqual(c.confusion, expected.confusion, `window ${w.window}`);
        assert.equal(c.positive_class, 1);
        assert.equal(c.count, traffic.cancer.length);
        for (const k of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss'] as const)
          close(c[k], expected[k], `${w.window} ${k}`);
        assert.equal(v.regression, null);
      }
      // The labels were compared with the thresholded decision (0.6), not the arg-max.
      for (const c of traffic.cancer) assert.equal(c.predicted, c.probabilities[1] >= THRESHOLD ? 1 : 0);
    });

    it('multiclass: accuracy, one-vs-rest ROC AUC and log loss from the softmax of the logits', async () => {
      const expected = multiclassExpected(traffic.digits);
      assert.ok(expected.accuracy < 1 && expected.accuracy > 0.5, String(expected.accuracy));
      const c = (await quality('digits')).windows[0].versions[0].classification!;
      assert.equal(c.count, traffic.digits.length);
      assert.equal(c.correct, traffic.digits.filter((d) => d.predicted === d.label).length);
      for (const k of ['accuracy', 'roc_auc', 'log_loss'] as const) close(c[k], expected[k], k);
      assert.equal(c.precision, undefined, 'no binary scores for a multiclass model');
    });

    it('regression: MAE and RMSE', async () => {
      const expected = regressionExpected(traffic.diabetes);
      const v = (await quality('diabetes')).windows[0].versions[0];
      assert.equal(v.classification, null);
      assert.equal(v.regression!.count, traffic.diabetes.length);
      close(v.regression!.mae, expected.mae, 'mae');
      close(v.regression!.rmse, expected.rmse, 'rmse');
    });

    it('label delay p50/p95: from each prediction logged to its label', async () => {
      const r = await get(`${server.url}/v1/predictions?model=cancer&limit=1000`);
      const logged = new Map(
        (r.json as { predictions: Array<{ request_id: string; time: string }> }).predictions.map((p) => [
          p.request_id,
          Date.parse(p.time),
        ]),
      );
      const lows = traffic.cancer.map((c) => (sentAt.before - logged.get(c.id)!) / 1000).sort((a, b) => a - b);
      const highs = traffic.cancer.map((c) => (sentAt.after - logged.get(c.id)!) / 1000).sort((a, b) => a - b);
      const delay = (await quality('cancer')).windows[0].versions[0].label_delay_seconds;
      for (const [q, value] of [
        [0.5, delay.p50],
        [0.95, delay.p95],
      ] as const) {
        assert.ok(
          value >= quantile(lows, q) - 1e-9 && value <= quantile(highs, q) + 1e-9,
          `p${q * 100} ${value} outside [${quantile(lows, q)}, ${quantile(highs, q)}]`,
        );
      }
    });

    it('the Prometheus metrics carry the same numbers', async (t) => {
      // A scrape answers from the last computed gauges; the labels posted start a new computation in the background.
      let text = '';
      const counted = 'inferd_model_quality_labels{model="cancer",version="1",window="24h"}';
      await waitFor(
        async () => sample((text = await (await fetch(server.metricsUrl!)).text()), counted) === traffic.cancer.length,
        'quality gauges with every label',
        t.signal,
      );
      const b = binaryExpected(traffic.cancer);
      const at = (model: string, metric: string) =>
        sample(text, `inferd_model_quality{model="${model}",version="1",window="1h",metric="${metric}"}`);
      for (const k of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss'] as const)
        close(at('cancer', k), b[k], `metric cancer ${k}`);
      close(at('digits', 'accuracy'), multiclassExpected(traffic.digits).accuracy, 'metric digits accuracy');
      close(at('diabetes', 'rmse'), regressionExpected(traffic.diabetes).rmse, 'metric diabetes rmse');
      assert.equal(at('diabetes', 'accuracy'), undefined);
      assert.equal(
        sample(text, 'inferd_model_quality_labels{model="cancer",version="1",window="24h"}'),
        traffic.cancer.length,
      );
      assert.ok(
        sample(text, 'inferd_model_label_delay_seconds{model="cancer",version="1",window="1h",quantile="0.95"}')! >= 0,
      );
      const labelled = traffic.cancer.length + traffic.digits.length + traffic.diabetes.length;
      assert.equal(sample(text, 'inferd_feedback_labels_total{result="accepted"}'), labelled);
      assert.equal(sample(text, 'inferd_feedback_labels_total{result="unknown"}'), 3);
      assert.equal(sample(text, 'inferd_feedback_labels_total{result="duplicate"}'), 6);
    });

    it('windows are time windows: labels older than a 1s window are left out', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const report = await quality('cancer', '?windows=1s,1h');
      assert.deepEqual(
        report.windows.map((w) => [w.window, w.versions.length]),
        [
          ['1s', 0],
          ['1h', 1],
        ],
      );
    });

    it('refuses malformed feedback and unknown models with a message saying what to send', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{ feedback: [{ id: 'x' }] }, /feedback\[0\] needs exactly one of 'label'/],
        [{ feedback: [{ id: 'x', label: 1.5 }] }, /feedback\[0\]\.label must be a class index/],
        [
          {
            feedback: [
              { id: 'x', label: 1 },
              { id: '', value: 1 },
            ],
          },
          /feedback\[1\]\.id must be the request id/,
        ],
        [{ labels: [] }, /the body must be \{"feedback"/],
      ];
      for (const [body, message] of cases) {
        const r = await postJson(`${server.url}/v1/feedback`, body);
        assert.equal(r.status, 400, r.text);
        assert.match(errorMessage(r), message);
      }
      const unknownModel = await get(`${server.url}/v1/models/nope/quality`);
      assert.equal(unknownModel.status, 404);
      assert.match(
        errorMessage(await get(`${server.url}/v1/models/cancer/quality?windows=soon`)),
        /'soon' is not a duration/,
      );
    });
  });
}

const sqliteDir = tempDir('inferd-feedback-');
feedbackSuite(
  'sqlite',
  () => ({ store: 'sqlite', path: `${sqliteDir.dir}/audit.db` }),
  async () => sqliteDir.cleanup(),
);

const pg = await testPostgres();
if (typeof pg === 'string') {
  describe('feedback and live quality (postgres)', { skip: pg }, () => undefined);
} else {
  const schema = pg.schema('_feedback');
  feedbackSuite(
    'postgres',
    () => ({ store: 'postgres', url: PG_URL, postgres_schema: schema }),
    async () => {
      const { rows } = await pg.client.query(`SELECT count(*)::int AS n FROM "${schema}".feedback`);
      assert.ok((rows[0] as { n: number }).n > 0, 'the labels were stored in PostgreSQL');
      await pg.cleanup();
    },
  );
}

describe('feedback without the prediction log', () => {
  it('answers 404 saying the audit trail must be on', async () => {
    const { startTestServer, tempRepository } = await import('../helpers/server.js');
    const repo = await tempRepository({ digits: { onnx: 'models/digits/1/model.onnx' } });
    const server = await startTestServer({ repository: repo.dir });
    try {
      const r = await postJson(`${server.url}/v1/feedback`, { feedback: [{ id: 'a', label: 1 }] });
      assert.equal(r.status, 404);
      assert.match(errorMessage(r), /audit\.enabled: true/);
    } finally {
      await server.close();
      await repo.cleanup();
    }
  });
});
