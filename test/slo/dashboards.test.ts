/**
 * Every metric a Grafana dashboard (deploy/grafana/*.json) or the generated SLO rules query is exported by the
 * server, or recorded by those rules. The server runs the bundled repository and answers a few requests first.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import type { RunningServer } from '../../src/index.js';
import { readModelSlos } from '../../src/cli/prometheus-rules-command.js';
import { buildSloRules, type RecordingRule, type RuleGroup } from '../../src/slo/slo-rules.js';
import { MODELS_DIR, ROOT, startTestServer } from '../helpers/server.js';
import { dashboardQueries, exportedFamilies, familyOf, metricNames } from './promql-names.js';
import { promtool, requirePromtool } from './promtool.js';

const GRAFANA_DIR = join(ROOT, 'deploy', 'grafana');
const dashboards = readdirSync(GRAFANA_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

let server: RunningServer;
let exposition: string;
let groups: RuleGroup[];

before(async () => {
  server = await startTestServer();
  const body = readFileSync(join(ROOT, 'examples', 'digits-request.json'), 'utf8');
  for (let i = 0; i < 3; i++)
    assert.equal((await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body })).status, 200);
  exposition = await (await fetch(server.metricsUrl!)).text();
  groups = buildSloRules(await readModelSlos(MODELS_DIR)).groups;
});

after(async () => {
  await server?.close();
});

const ruleExprs = () => groups.flatMap((g) => g.rules.map((r) => r.expr));
const recorded = () =>
  new Set(groups.flatMap((g) => g.rules.filter((r): r is RecordingRule => 'record' in r).map((r) => r.record)));

/** Names used by `exprs` that the server does not export and the rules do not record. */
function unknownNames(exprs: readonly string[]): string[] {
  const families = exportedFamilies(exposition);
  const records = recorded();
  const used = new Set(exprs.flatMap(metricNames));
  return [...used].filter((n) => !records.has(n) && familyOf(n, families) === undefined).sort();
}

test('the dashboards exist: executive, on-call and debug', () => {
  assert.deepEqual(dashboards, ['inferd-debug.json', 'inferd-executive.json', 'inferd-oncall.json']);
});

for (const file of dashboards) {
  test(`every metric ${file} queries is exported by the server or recorded by the SLO rules`, () => {
    const queries = dashboardQueries(JSON.parse(readFileSync(join(GRAFANA_DIR, file), 'utf8')));
    assert.ok(queries.length >= 5, `${file} has queries`);
    assert.deepEqual(unknownNames(queries), [], `${file} queries metrics /metrics does not export`);
  });
}

test('every metric the generated rules query is exported, and their latency bucket bounds exist', () => {
  assert.ok(groups.length >= 1, 'the bundled digits model declares an SLO');
  assert.deepEqual(unknownNames(ruleExprs()), []);
  const bounds = new Set(
    [...exposition.matchAll(/^inferd_request_duration_seconds_bucket\{[^}]*le="([^"]+)"/gm)].map((m) => m[1]),
  );
  for (const expr of ruleExprs()) {
    for (const m of expr.matchAll(/le="([^"]+)"/g))
      assert.ok(bounds.has(m[1]), `bucket le="${m[1]}" is exported (have: ${[...bounds].join(', ')})`);
  }
});

test('the name extraction sees through PromQL syntax', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (le, model) (rate(a_bucket{model=~"$model",le="0.05"}[$__rate_interval]))) / on (model) group_left b offset 5m > 1e-3 and c',
    ),
    ['a_bucket', 'b', 'c'],
  );
  const families = new Map([
    ['h', 'histogram'],
    ['c_total', 'counter'],
  ]);
  assert.deepEqual(
    ['h_bucket', 'h_sum', 'c_total', 'c_total_sum', 'x'].map((n) => familyOf(n, families)),
    ['h', 'h', 'c_total', undefined, undefined],
  );
});

test('every dashboard query is valid PromQL (promtool, with Grafana variables filled in)', async (t) => {
  const bin = requirePromtool(t);
  if (!bin) return;
  const fill = (q: string) =>
    q.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$model', '.+');
  const queries = dashboards.flatMap((f) => dashboardQueries(JSON.parse(readFileSync(join(GRAFANA_DIR, f), 'utf8'))));
  const rules = {
    groups: [
      { name: 'dashboard-queries', rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: fill(q) })) },
    ],
  };
  const dir = await mkdtemp(join(tmpdir(), 'inferd-dash-'));
  try {
    await writeFile(join(dir, 'queries.yml'), stringify(rules, { lineWidth: 0 }));
    assert.match(await promtool(bin, ['check', 'rules', join(dir, 'queries.yml')]), /SUCCESS/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
