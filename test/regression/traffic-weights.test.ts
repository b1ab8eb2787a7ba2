/**
 * Traffic weights are percents of a model's traffic over the versions it has: weights that do not sum to 100, or
 * that name a version the model does not have, are refused with 400 and the reason (over HTTP and through
 * `inferd traffic set`), and the policy stays as it was. Good weights are taken.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { runCli, shown } from '../cli/cli-helpers.js';
import { call, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { startTestServer } from '../helpers/server.js';

interface TrafficJson {
  weights: Record<string, number> | null;
  versions: Array<{ version: number; share: number }>;
}

describe('traffic weights', () => {
  const repo = tempRepo({
    digits: {
      versions: { 1: MODELS.digits, 2: MODELS.heavy },
      config: 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n',
    },
  });
  let server: RunningServer;
  const traffic = () => `${server.url}/v1/models/digits/traffic`;

  before(async () => {
    server = await startTestServer({ repository: repo.dir, config: { grpc_port: -1, metrics_port: -1 } });
  });
  after(async () => {
    await server?.close();
    repo.cleanup();
  });

  test('over HTTP: a sum of 110 and an unknown version are refused with 400 naming them; the policy is unchanged', async () => {
    const sum = await call<{ error: string }>(traffic(), { body: { weights: { 1: 90, 2: 20 } } });
    assert.equal(sum.status, 400);
    assert.equal(
      sum.body.error,
      'invalid traffic policy: weights are percents of the traffic and must sum to 100, got 90 (version 1) + 20 (version 2) = 110',
    );
    const low = await call<{ error: string }>(traffic(), { body: { weights: { 1: 40, 2: 20 } } });
    assert.equal(low.status, 400);
    assert.match(low.body.error, /must sum to 100, got 40 \(version 1\) \+ 20 \(version 2\) = 60$/);
    const unknown = await call<{ error: string }>(traffic(), { body: { weights: { 1: 50, 9: 50 } } });
    assert.equal(unknown.status, 400);
    assert.equal(
      unknown.body.error,
      "invalid traffic policy: model 'digits' has no version 9; weights may name its versions only (1, 2)",
    );
    const shadow = await call<{ error: string }>(traffic(), { body: { shadow: { version: 7, sample_rate: 0.1 } } });
    assert.equal(shadow.status, 400);
    assert.match(shadow.body.error, /model 'digits' has no version 7 to mirror requests to \(its versions: 1, 2\)/);
    const now = await call<TrafficJson>(traffic());
    assert.deepEqual(now.body.weights, { 1: 100 }, 'refused changes leave the policy as it was');
  });

  test('over HTTP: weights summing to 100 (thirds included) are taken', async () => {
    const set = await call<TrafficJson>(traffic(), { body: { weights: { 1: 70, 2: 30 } } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(
      set.body.versions.map((v) => [v.version, v.share]),
      [
        [1, 70],
        [2, 30],
      ],
    );
    const thirds = await call<TrafficJson>(traffic(), { body: { weights: { 1: 66.666667, 2: 33.333333 } } });
    assert.equal(thirds.status, 200, JSON.stringify(thirds.body));
  });

  test('with the CLI: traffic set refuses with exit 1 and the server message; good weights show in traffic show', async () => {
    const url = ['--url', server.url];
    const sum = await runCli(['traffic', 'set', 'digits', '--weights', '1=90,2=20', ...url]);
    assert.equal(sum.code, 1, shown(sum));
    assert.equal(
      sum.stderr,
      'inferd traffic: server answered 400: invalid traffic policy: weights are percents of the traffic and must sum to 100, got 90 (version 1) + 20 (version 2) = 110\n',
    );
    const unknown = await runCli(['traffic', 'set', 'digits', '--weights', '1=50,9=50', ...url]);
    assert.equal(unknown.code, 1, shown(unknown));
    assert.match(
      unknown.stderr,
      /server answered 400: invalid traffic policy: model 'digits' has no version 9; weights may name its versions only \(1, 2\)/,
    );
    const typo = await runCli(['traffic', 'set', 'digits', '--weights', '1:90', ...url]);
    assert.equal(typo.code, 2, shown(typo));
    assert.match(typo.stderr, /--weights takes VERSION=PERCENT pairs such as 1=90,2=10 \(or 'none'\), got '1:90'/);

    const set = await runCli(['traffic', 'set', 'digits', '--weights', '1=90,2=10', ...url]);
    assert.equal(set.code, 0, shown(set));
    assert.match(set.stdout, /^model 'digits': weights 1=90%, 2=10%; sticky parameter 'routing_key'$/m);
    assert.match(set.stdout, /^1\s+READY\s+90%$/m);
    assert.match(set.stdout, /^2\s+READY\s+10%$/m);
    const shown2 = JSON.parse((await runCli(['traffic', 'show', 'digits', '--json', ...url])).stdout) as TrafficJson;
    assert.deepEqual(shown2.weights, { 1: 90, 2: 10 });
    const cleared = await runCli(['traffic', 'set', 'digits', '--weights', 'none', ...url]);
    assert.match(cleared.stdout, /weights none \(the highest ready version answers\)/, shown(cleared));
    assert.match(cleared.stdout, /^2\s+READY\s+100%$/m);
  });
});
