/** GET /v1/models/{m}/slo after known traffic: exact counts, burn rates and alert states. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { get, postJson, startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';

// digits_faulty answers like digits for pixels 0..16 and fails the run (a server-side error) for any pixel above 16.
const SLO_CONFIG =
  'max_batch_size: 8\ndynamic_batching: false\nslo: { availability: 0.99, latency: { threshold_ms: 10000, percentile: 0.9 } }\n';

let repo: TempRepository;
let server: RunningServer;

before(async () => {
  repo = await tempRepository({
    faulty: { onnx: 'digits_faulty.onnx', config: { file: 'config.yaml', text: SLO_CONFIG } },
    plain: { onnx: 'models/digits/1/model.onnx' },
  });
  server = await startTestServer({ repository: repo.dir });
});

after(async () => {
  await server?.close();
  await repo?.cleanup();
});

const pixels = (value: number) => Array.from({ length: 64 }, (_, i) => (i === 10 ? value : 3));
const infer = (data: number[], shape = [1, 64]) =>
  postJson(`${server.url}/v2/models/faulty/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape, data }] });

interface SliJson {
  objective: number;
  threshold_ms?: number;
  window: { total: number; good: number; sli: number | null };
  error_budget_remaining: number;
  burn_rates: Record<string, number | null>;
  alerts: Array<{
    alert: string;
    severity: string;
    firing: boolean;
    conditions: Array<{ long_window: string; short_window: string; burn_rate: number; firing: boolean }>;
  }>;
}

test('after 6 answers, 2 server errors and 1 client error the SLO report counts exactly', async () => {
  // The model's SLO record starts with the first request it counts: read the clock around that one request.
  const firstSentAt = Date.now();
  assert.equal((await infer(pixels(16))).status, 200);
  const firstAnsweredAt = Date.now();
  for (let i = 1; i < 6; i++) assert.equal((await infer(pixels(16))).status, 200);
  for (let i = 0; i < 2; i++) assert.equal((await infer(pixels(17))).status, 500, 'a pixel above 16 fails the run');
  assert.equal((await infer(pixels(1).slice(1), [1, 63])).status, 400, "a wrong shape is the client's mistake");

  const r = await get(`${server.url}/v1/models/faulty/slo`);
  assert.equal(r.status, 200, r.text);
  const body = r.json as { model: string; window_days: number; since: string; slis: Record<string, SliJson> };
  assert.equal(body.model, 'faulty');
  assert.equal(body.window_days, 30);
  // Ordered against the client's readings around the first request (same process, same clock), no tolerance.
  const since = Date.parse(body.since);
  assert.ok(
    firstSentAt <= since && since <= firstAnsweredAt,
    `since ${body.since} is not the first request's time (sent ${new Date(firstSentAt).toISOString()})`,
  );

  const a = body.slis.availability;
  assert.equal(a.objective, 0.99);
  assert.deepEqual(a.window, { total: 9, good: 7, sli: 7 / 9 }, 'client errors do not spend the budget');
  const burn = 2 / 9 / 0.01;
  for (const w of ['5m', '30m', '1h', '2h', '6h', '1d', '3d'])
    assert.ok(Math.abs(a.burn_rates[w]! - burn) < 1e-9, `${w}: ${a.burn_rates[w]}`);
  assert.ok(Math.abs(a.error_budget_remaining - (1 - burn)) < 1e-9);
  const page = a.alerts.find((x) => x.severity === 'page')!;
  assert.equal(page.alert, 'InferdAvailabilityFastBurn');
  assert.equal(page.firing, true, '22x > 14.4x over 1h and 5m');
  assert.deepEqual(
    page.conditions.map((c) => [c.long_window, c.short_window, c.burn_rate, c.firing]),
    [
      ['1h', '5m', 14.4, true],
      ['6h', '30m', 6, true],
    ],
  );

  const l = body.slis.latency;
  assert.equal(l.threshold_ms, 10000);
  assert.deepEqual(l.window, { total: 9, good: 9, sli: 1 });
  assert.equal(l.burn_rates['5m'], 0);
  assert.equal(
    l.alerts.some((x) => x.firing),
    false,
  );
});

test('the in-process SLI counts what /metrics reports', async () => {
  const text = await (await fetch(server.metricsUrl!)).text();
  const count = (outcome: string) =>
    Number(
      new RegExp(`^inferd_requests_total\\{[^}]*model="faulty"[^}]*outcome="${outcome}"[^}]*\\} (\\d+)$`, 'm').exec(
        text,
      )?.[1] ?? 0,
    );
  assert.deepEqual([count('success'), count('error'), count('client_error')], [6, 2, 1]);
});

test('a model without an slo: and an unknown model answer 404 saying what to do', async () => {
  const plain = await get(`${server.url}/v1/models/plain/slo`);
  assert.equal(plain.status, 404);
  assert.match(plain.text, /model 'plain' has no SLO; add one to its config.yaml, e\.g\. slo: \{ availability: 0\.999/);
  const unknown = await get(`${server.url}/v1/models/nope/slo`);
  assert.equal(unknown.status, 404);
  assert.match(unknown.text, /unknown model 'nope'/);
});
