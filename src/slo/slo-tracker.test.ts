import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSloConfig, type SloConfig } from '../config/slo-config.js';
import { SloTracker, type SliReport } from './slo-tracker.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const SLO = parseSloConfig(
  { availability: 0.99, latency: { threshold_ms: 50, percentile: 0.9 }, window_days: 1 },
  'test',
);

function tracker(objectives: Record<string, SloConfig> = { m: SLO }) {
  const clock = { now: 1_000 * DAY };
  const t = new SloTracker({ objectiveOf: (model) => objectives[model], now: () => clock.now });
  return { t, clock };
}

const sli = (slis: readonly SliReport[], kind: string) => slis.find((s) => s.kind === kind)!;

test('counts availability and latency per window after known traffic', () => {
  const { t } = tracker();
  for (let i = 0; i < 90; i++) t.record('m', true, 0.01);
  for (let i = 0; i < 8; i++) t.record('m', true, 0.2); // good answers, but slow
  for (let i = 0; i < 2; i++) t.record('m', false, 0.001);
  const r = t.report('m', SLO);
  const a = sli(r.slis, 'availability');
  assert.deepEqual(a.window, { total: 100, good: 98, sli: 0.98 });
  assert.equal(a.burnRates['5m'], 2); // 2% bad against a 1% budget
  assert.equal(a.errorBudgetRemaining, -1);
  const l = sli(r.slis, 'latency');
  assert.equal(l.thresholdMs, 50);
  assert.deepEqual(l.window, { total: 100, good: 92, sli: 0.92 });
  assert.ok(Math.abs(l.burnRates['3d']! - 0.8) < 1e-12); // 8% slow against a 10% budget
});

test('burn rates follow their windows as time passes; the fast-burn alert stops when the short window recovers', () => {
  const { t, clock } = tracker();
  for (let i = 0; i < 80; i++) t.record('m', i % 4 !== 0, 0.001); // 25% bad: burn rate 25
  let a = sli(t.report('m', SLO).slis, 'availability');
  assert.equal(a.alerts.find((x) => x.severity === 'page')!.firing, true);
  clock.now += 10 * MIN;
  for (let i = 0; i < 100; i++) t.record('m', true, 0.001);
  a = sli(t.report('m', SLO).slis, 'availability');
  assert.equal(a.burnRates['5m'], 0);
  let page = a.alerts.find((x) => x.alert === 'InferdAvailabilityFastBurn')!;
  assert.deepEqual(
    page.conditions.map((c) => c.firing),
    [false, true],
    '14.4x/1h+5m has stopped; 6x/6h+30m still sees the burn',
  );
  clock.now += 30 * MIN;
  a = sli(t.report('m', SLO).slis, 'availability');
  assert.ok(Math.abs(a.burnRates['1h']! - 20 / 180 / 0.01) < 1e-9);
  page = a.alerts.find((x) => x.alert === 'InferdAvailabilityFastBurn')!;
  assert.equal(page.firing, false, 'both short windows are clean again');
  assert.equal(a.alerts.find((x) => x.severity === 'ticket')!.firing, true, '11x over 1d and 2h: a ticket');
});

test('the budget window forgets requests older than window_days', () => {
  const { t, clock } = tracker();
  t.record('m', false, 0.001);
  clock.now += DAY + 2 * 60 * MIN;
  t.record('m', true, 0.001);
  const a = sli(t.report('m', SLO).slis, 'availability');
  assert.deepEqual(a.window, { total: 1, good: 1, sli: 1 });
  assert.equal(a.burnRates['3d'], 50, 'the 3-day burn rate still sees it');
});

test('a request refused before it was timed counts for availability only', () => {
  const { t } = tracker();
  t.record('m', false);
  const r = t.report('m', SLO);
  assert.equal(sli(r.slis, 'availability').window.total, 1);
  assert.equal(sli(r.slis, 'latency').window.total, 0);
  assert.equal(sli(r.slis, 'latency').burnRates['5m'], null);
});

test('models without an objective are not recorded; a report without traffic is empty, not an error', () => {
  const { t } = tracker();
  t.record('other', false, 1);
  const r = t.report('other', SLO);
  assert.equal(r.sinceMs, null);
  const a = sli(r.slis, 'availability');
  assert.deepEqual(a.window, { total: 0, good: 0, sli: null });
  assert.equal(a.errorBudgetRemaining, 1);
  assert.equal(
    a.alerts.some((x) => x.firing),
    false,
  );
});

test('only the SLIs an objective declares are reported', () => {
  const availabilityOnly = parseSloConfig({ availability: 0.999 }, 'test');
  const { t } = tracker({ m: availabilityOnly });
  t.record('m', true, 3);
  assert.deepEqual(
    t.report('m', availabilityOnly).slis.map((s) => s.kind),
    ['availability'],
  );
  assert.equal(t.report('m', availabilityOnly).windowDays, 30);
});

test("another process's sums add to the report as if its requests had been recorded here", () => {
  const one = tracker();
  const two = tracker();
  for (let i = 0; i < 60; i++) one.t.record('m', true, 0.01);
  for (let i = 0; i < 40; i++) two.t.record('m', i >= 2, 0.01);
  const merged = one.t.report('m', SLO, [two.t.sums('m', SLO)]);
  const alone = tracker();
  for (let i = 0; i < 60; i++) alone.t.record('m', true, 0.01);
  for (let i = 0; i < 40; i++) alone.t.record('m', i >= 2, 0.01);
  assert.deepEqual(merged, alone.t.report('m', SLO));
  assert.deepEqual(sli(merged.slis, 'availability').window, { total: 100, good: 98, sli: 0.98 });
});
