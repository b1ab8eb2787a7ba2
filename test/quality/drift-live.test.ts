/**
 * Live drift over a real server: the digits model with a profile made by `inferd profile` from its training
 * split, and the test split (test/fixtures/drift, from scripts/fixtures/make_drift_fixtures.py) as live traffic.
 * Shifting one feature by one standard deviation (of the training data) must make that feature's PSI and KS cross
 * their thresholds within one window while every other feature stays under, and call the webhook (a receiver
 * this test runs) once per cooldown.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import {
  CLI_PATH,
  errorMessage,
  get,
  postJson,
  ROOT,
  startTestServer,
  tempRepository,
  type TempRepository,
} from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'drift');
const SHIFTED = 'pixel_21';
/**
 * Far longer than the test runs, however slow the machine: "within the cooldown" holds for certain, and "after the
 * cooldown" is reached by moving the monitor's clock forward (`skewMs`), not by waiting.
 */
const COOLDOWN_S = 600;
const WINDOW_ROWS = 450; // the whole test split: one pass fills the window
const SLICES = 9; // the window moves (and is evaluated) every 50 rows: one request each
const PER_REQUEST = WINDOW_ROWS / SLICES;

interface Statistic {
  statistic: string;
  value: number;
  threshold: number;
  drifted: boolean;
}
interface Feature {
  feature: string;
  kind: string;
  count: number;
  drifted: boolean;
  statistics: Statistic[];
}
interface VersionReport {
  version: string;
  status: string;
  evaluations: number;
  rows_counted: number;
  rows_dropped: number;
  drifted: boolean;
  window: { rows: number } | null;
  last_window: { rows: number; drifted: boolean; features: Feature[]; predictions: Feature[] } | null;
  webhook: { sent: number; failed: number; suppressed: number; last_at: string | null };
}
interface DriftReport {
  model: string;
  versions: VersionReport[];
  events: Array<{
    type: string;
    source: string;
    feature: string;
    statistic: string;
    value: number;
    threshold: number;
    window_rows: number;
  }>;
}

/** The live rows: 64 pixel values each (the label column dropped). */
function liveRows(): number[][] {
  const lines = readFileSync(join(FIXTURES, 'digits_live.csv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => l.split(',').slice(0, 64).map(Number));
}

describe('live drift: one feature shifted by one standard deviation', () => {
  let repo: TempRepository;
  let server: RunningServer;
  let receiver: Server;
  const calls: Array<{
    body: { model: string; version: string; drifted: Array<{ feature: string; statistic: string; source: string }> };
  }> = [];
  let std = 0;
  const rows = liveRows();
  /** How far the drift monitor's clock is ahead of the real one. */
  let skewMs = 0;

  before(async () => {
    receiver = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        calls.push({ body: JSON.parse(text) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/retrain`;
    const config = [
      'max_batch_size: 64',
      'drift:',
      `  window: { rows: ${WINDOW_ROWS}, slices: ${SLICES} }`,
      '  thresholds: { psi: 0.2, ks: 0.1, js: 0.1, missing_rate: 0.1 }',
      `  webhook: { url: ${hook}, cooldown_seconds: ${COOLDOWN_S} }`,
    ].join('\n');
    repo = await tempRepository({
      digits: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: config } },
      unprofiled: {
        onnx: 'models/digits/1/model.onnx',
        config: { file: 'config.yaml', text: 'max_batch_size: 64\ndrift: { window: { rows: 100 } }\n' },
      },
      plain: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 64\n' } },
    });
    const profiled = spawnSync(
      process.execPath,
      [
        CLI_PATH,
        'profile',
        '--model-repository',
        repo.dir,
        '--model',
        'digits',
        '--version',
        '1',
        '--data',
        join(FIXTURES, 'digits_train.csv'),
        '--exclude',
        'label',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(profiled.status, 0, profiled.stderr);
    const profile = JSON.parse(readFileSync(join(repo.dir, 'digits', '1', 'profile.json'), 'utf8')) as {
      features: Array<{ name: string; std: number }>;
    };
    std = profile.features.find((f) => f.name === SHIFTED)!.std;
    // The drift monitor reads its clock through the Date.now it finds when it is made (drift-monitor.ts): made
    // while Date.now is the skewed clock, it keeps that one; everything else gets the real Date.now back.
    const realNow = Date.now;
    Date.now = () => realNow() + skewMs;
    try {
      server = await startTestServer({ repository: repo.dir, config: { grpc_port: -1, metrics_port: 0 } });
    } finally {
      Date.now = realNow;
    }
  });

  after(async () => {
    await server?.close();
    await new Promise((resolve) => receiver?.close(resolve));
    await repo?.cleanup();
  });

  let sent = 0;

  /** Sends one request of live rows (the next PER_REQUEST of the test split), `shift` added to the shifted feature. */
  async function sendSlice(shift: number): Promise<void> {
    const column = Number(SHIFTED.split('_')[1]);
    const at = sent % rows.length;
    const batch = rows.slice(at, at + PER_REQUEST).map((r) => r.map((v, j) => (j === column ? v + shift : v)));
    const r = await postJson(`${server.url}/v2/models/digits/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [batch.length, 64], data: batch.flat() }],
    });
    assert.equal(r.status, 200, r.text);
    sent += batch.length;
  }

  /** Sends every live row once: one full window. */
  async function sendWindow(shift: number): Promise<void> {
    for (let i = 0; i < SLICES; i++) await sendSlice(shift);
  }

  async function report(): Promise<DriftReport> {
    const r = await get(`${server.url}/v1/models/digits/drift`);
    assert.equal(r.status, 200, r.text);
    return r.json as DriftReport;
  }

  /** The report once every row sent has been counted (that happens on a later event-loop turn). */
  async function counted(): Promise<VersionReport> {
    let v: VersionReport | undefined;
    await waitFor(
      async () => (v = (await report()).versions[0]).rows_counted >= sent,
      `the drift monitor to count the ${sent} rows sent`,
    );
    return v!;
  }

  async function webhookCalls(n: number): Promise<void> {
    await waitFor(() => calls.length >= n, `${n} webhook calls`);
    assert.equal(calls.length, n, `webhook calls: ${calls.length}, expected ${n}`);
  }

  const stat = (f: Feature, s: string) => f.statistics.find((x) => x.statistic === s)!;

  function assertOnlyShiftedDrifted(v: VersionReport): void {
    const w = v.last_window!;
    assert.equal(w.rows, WINDOW_ROWS);
    const shifted = w.features.find((f) => f.feature === SHIFTED)!;
    for (const s of ['psi', 'ks'])
      assert.ok(
        stat(shifted, s).drifted && stat(shifted, s).value > stat(shifted, s).threshold,
        `${SHIFTED} ${s} ${stat(shifted, s).value}`,
      );
    const others = w.features.filter((f) => f.feature !== SHIFTED && f.statistics.some((s) => s.drifted));
    assert.deepEqual(
      others.map((f) => f.feature),
      [],
      'untouched features must stay under their thresholds',
    );
  }

  it('an unshifted window of real rows stays under every threshold', async () => {
    await sendWindow(0);
    const v = await counted();
    assert.equal(v.status, 'monitoring');
    assert.equal(v.evaluations, 1, 'evaluated once the window holds min_rows (default: window.rows) rows');
    assert.equal(v.last_window!.rows, WINDOW_ROWS);
    const drifted = v.last_window!.features.filter((f) => f.drifted).map((f) => f.feature);
    assert.deepEqual(drifted, []);
    const shifted = v.last_window!.features.find((f) => f.feature === SHIFTED)!;
    assert.ok(
      stat(shifted, 'psi').value < 0.05 && stat(shifted, 'ks').value < 0.05,
      JSON.stringify(shifted.statistics),
    );
    assert.deepEqual(
      v.last_window!.predictions.map((p) => p.feature),
      ['logits:class', 'label'],
    );
    assert.equal(calls.length, 0);
  });

  let firstDrifted = 0;

  it('shifted traffic crosses PSI and KS for that feature only within one window, raises events and calls the webhook', async (t) => {
    for (let slice = 1; slice <= SLICES; slice++) {
      await sendSlice(std);
      const step = await counted();
      assert.equal(step.evaluations, 1 + slice, 'one evaluation per slice');
      const others = step.last_window!.features.filter((f) => f.feature !== SHIFTED && f.drifted);
      assert.deepEqual(
        others.map((f) => f.feature),
        [],
        `untouched features after ${slice * PER_REQUEST} shifted rows`,
      );
      if (step.drifted && !firstDrifted) {
        firstDrifted = step.evaluations;
        t.diagnostic(`drift detected after ${slice * PER_REQUEST} shifted rows of a ${WINDOW_ROWS}-row window`);
      }
    }
    assert.ok(firstDrifted > 0, 'drift detected within one window of shifted traffic');
    const v = await counted();
    assertOnlyShiftedDrifted(v);
    const shifted = v.last_window!.features.find((f) => f.feature === SHIFTED)!;
    t.diagnostic(
      `${SHIFTED} +1 sd (${std.toFixed(3)}): psi ${stat(shifted, 'psi').value.toFixed(3)}, ks ${stat(shifted, 'ks').value.toFixed(3)}`,
    );
    const { events } = await report();
    const inputEvents = events.filter((e) => e.source === 'input' && e.type === 'drift_detected');
    assert.deepEqual(inputEvents.map((e) => `${e.feature}:${e.statistic}`).sort(), [`${SHIFTED}:ks`, `${SHIFTED}:psi`]);
    assert.equal(inputEvents[0].window_rows, WINDOW_ROWS);
    await webhookCalls(1);
    assert.equal(calls[0].body.model, 'digits');
    assert.equal(calls[0].body.version, '1');
    assert.ok(
      calls[0].body.drifted.some((d) => d.feature === SHIFTED && d.statistic === 'psi' && d.source === 'input'),
    );
  });

  it('more drifted windows within the cooldown do not call it again; after the cooldown they do', async () => {
    await sendWindow(std);
    const within = await counted();
    assertOnlyShiftedDrifted(within);
    // The monitor takes (or refuses) a webhook turn as it evaluates: `suppressed` below is final here.
    assert.equal(calls.length, 1, 'still one call within the cooldown');
    assert.equal(within.evaluations, 1 + 2 * SLICES);
    // Every evaluation since the first drifted one was drifted; all but that first were within the cooldown.
    assert.equal(within.webhook.suppressed, within.evaluations - firstDrifted);
    // No new crossing while the feature stays drifted: no new events.
    assert.equal((await report()).events.filter((e) => e.source === 'input').length, 2);
    skewMs += COOLDOWN_S * 1000; // the cooldown has passed
    await sendWindow(std);
    assertOnlyShiftedDrifted(await counted());
    await webhookCalls(2);
    const v = (await report()).versions[0];
    assert.deepEqual(
      [v.webhook.sent, v.webhook.failed, v.webhook.suppressed],
      [2, 0, 1 + 3 * SLICES - firstDrifted - 1],
    );
    assert.equal(v.rows_dropped, 0);
  });

  it('serves the statistics as Prometheus metrics', async () => {
    const text = await (await fetch(server.metricsUrl!)).text();
    const value = (name: string, labels: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
      assert.ok(line, `no ${name}{${labels}} in /metrics`);
      return Number(line.split(' ').at(-1));
    };
    assert.ok(
      value(
        'inferd_drift_statistic',
        `model="digits",version="1",feature="${SHIFTED}",source="input",statistic="psi"`,
      ) > 0.2,
    );
    assert.equal(
      value('inferd_drift_detected', `model="digits",version="1",feature="${SHIFTED}",source="input",statistic="ks"`),
      1,
    );
    assert.equal(
      value('inferd_drift_detected', 'model="digits",version="1",feature="pixel_20",source="input",statistic="psi"'),
      0,
    );
    assert.equal(value('inferd_drift_evaluations_total', 'model="digits",version="1"'), 1 + 3 * SLICES);
    assert.equal(value('inferd_drift_window_rows', 'model="digits",version="1"'), WINDOW_ROWS);
    assert.equal(value('inferd_drift_webhook_calls_total', 'model="digits",version="1"'), 2);
  });

  it('says why a version is not monitored, and answers 404 for a model without drift:', async () => {
    const r = await get(`${server.url}/v1/models/unprofiled/drift`);
    assert.equal(r.status, 200, r.text);
    const [v] = (r.json as DriftReport).versions;
    assert.equal(v.status, 'unavailable');
    assert.match(
      (v as VersionReport & { problem: string }).problem,
      /no profile: .*unprofiled\/1\/profile\.json does not exist; make one with: inferd profile --model unprofiled --version 1/,
    );
    const plain = await get(`${server.url}/v1/models/plain/drift`);
    assert.equal(plain.status, 404);
    assert.match(errorMessage(plain), /model 'plain' has no drift monitoring; add drift: .* to its config\.yaml/);
    assert.equal((await get(`${server.url}/v1/models/nope/drift`)).status, 404);
  });
});
