import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BURN_RATE_CONDITIONS,
  alertName,
  budgetRemaining,
  burnRate,
  conditionFires,
  errorBudget,
  isGoodOutcome,
  sliValue,
  type BurnWindow,
} from './slo-math.js';

const rates = (r: Partial<Record<BurnWindow, number | null>>) =>
  ({ '5m': null, '30m': null, '1h': null, '2h': null, '6h': null, '1d': null, '3d': null, ...r }) as Record<
    BurnWindow,
    number | null
  >;

test('errorBudget is 1 - objective without binary noise', () => {
  assert.equal(errorBudget(0.999), 0.001);
  assert.equal(errorBudget(0.99), 0.01);
  assert.equal(errorBudget(0.9995), 0.0005);
});

test('the SLI is good / total, and null without traffic', () => {
  assert.equal(sliValue({ total: 200, good: 150 }), 0.75);
  assert.equal(sliValue({ total: 0, good: 0 }), null);
});

test('the burn rate is the error ratio over the budget', () => {
  // 2 bad in 1000 against a 0.1% budget: twice the sustainable rate.
  assert.equal(burnRate({ total: 1000, good: 998 }, 0.999), 2);
  assert.equal(burnRate({ total: 100, good: 100 }, 0.999), 0);
  assert.equal(burnRate({ total: 0, good: 0 }, 0.999), null);
});

test('the budget remaining is 1 - spent, negative once the objective is missed', () => {
  assert.equal(budgetRemaining({ total: 10_000, good: 9_995 }, 0.999), 0.5);
  assert.equal(budgetRemaining({ total: 1000, good: 997 }, 0.999), -2);
  assert.equal(budgetRemaining({ total: 0, good: 0 }, 0.999), 1);
});

test('a condition fires only when both its windows burn faster than its rate', () => {
  const page = BURN_RATE_CONDITIONS[0];
  assert.deepEqual([page.longWindow, page.shortWindow, page.burnRate], ['1h', '5m', 14.4]);
  assert.equal(conditionFires(page, rates({ '1h': 20, '5m': 15 })), true);
  assert.equal(
    conditionFires(page, rates({ '1h': 20, '5m': 2 })),
    false,
    'the burn has stopped: the short window resets the alert',
  );
  assert.equal(conditionFires(page, rates({ '1h': 14.4, '5m': 30 })), false, 'exactly the threshold does not fire');
  assert.equal(conditionFires(page, rates({ '1h': 20 })), false, 'no traffic in the short window');
});

test('the policy is the SRE workbook one: page at 14.4x and 6x, ticket at 3x and 1x', () => {
  assert.deepEqual(
    BURN_RATE_CONDITIONS.map((c) => `${c.severity} ${c.burnRate}x ${c.longWindow}/${c.shortWindow}`),
    ['page 14.4x 1h/5m', 'page 6x 6h/30m', 'ticket 3x 1d/2h', 'ticket 1x 3d/6h'],
  );
});

test('alert names and outcome classes', () => {
  assert.equal(alertName('availability', 'page'), 'InferdAvailabilityFastBurn');
  assert.equal(alertName('latency', 'ticket'), 'InferdLatencySlowBurn');
  assert.deepEqual(['success', 'client_error', 'rejected', 'timeout', 'error'].map(isGoodOutcome), [
    true,
    true,
    false,
    false,
    false,
  ]);
});
