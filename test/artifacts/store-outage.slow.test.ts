/**
 * The store goes away for 20 s while a server serves from it in poll mode: every scan in between fails, the
 * loaded version keeps answering (no failed request), readiness stays true with the store under `degraded`,
 * and once the store is back (same port, same data) a new version is pulled as usual.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { OwnS3, uploadTree } from '../helpers/own-s3.js';
import { MODELS_DIR } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { digitsBody, infer, startLoad } from '../lifecycle/lifecycle-helpers.js';
import {
  metricValue,
  newBucket,
  readiness,
  startStoreServer,
  tempStateDir,
  useStoreCredentials,
} from './store-helpers.js';

/** How long the store stays away: the scenario's length, not something measured. */
const OUTAGE_MS = 20_000;

let s3: OwnS3;
before(async () => {
  useStoreCredentials();
  s3 = await OwnS3.start();
});
after(() => s3.stop());

test('store down for 20 s while serving: no failed request, readiness stays true, pulls resume after', async () => {
  const bucket = await newBucket(s3);
  await uploadTree(s3.client(), bucket, 'prod/digits', join(MODELS_DIR, 'digits'));
  const state = tempStateDir();
  const logs: string[] = [];
  const server = await startStoreServer({
    endpoint: s3.endpoint,
    bucket,
    stateDir: state.dir,
    logs,
    config: { model_control_mode: 'poll', repository_poll_secs: 0.5 },
  });
  const url = `${server.url}/v2/models/digits/infer`;
  const load = startLoad(url, { concurrency: 4, body: digitsBody });
  const statuses: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      statuses.push((await readiness(server)).status);
      await sleep(100);
    }
  })();
  const failedPolls = () => logs.filter((l) => l.includes('repository poll failed')).length;
  try {
    await load.answered(50);
    await s3.kill();
    const killedAt = performance.now();
    await waitFor(async () => (await metricValue(server, 'inferd_artifact_store_up')) === 0, 'the store seen down');
    const r = await readiness(server);
    assert.equal(r.status, 200, 'readiness stays true while the store is away');
    assert.match(r.body, /"degraded".*artifact_store.*cannot reach the artefact store/);
    await waitFor(
      () => performance.now() - killedAt >= OUTAGE_MS && failedPolls() >= 5,
      `${OUTAGE_MS / 1000} s of outage with failing scans`,
      undefined,
      200,
    );
    const during = load.count();
    await s3.restart(); // same port, same data
    await waitFor(async () => (await metricValue(server, 'inferd_artifact_store_up')) === 1, 'the store seen back');
    await uploadTree(s3.client(), bucket, 'prod/digits/2', join(MODELS_DIR, 'digits', '1'));
    await waitFor(async () => (await infer(url, digitsBody(0))).version === '2', 'version 2 pulled after the outage');
    probing = false;
    await probe;
    const report = await load.stop();
    assert.deepEqual(report.failures, [], 'no request failed');
    assert.ok(during > 50, 'requests were answered during the outage');
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 200), `readiness answers: ${[...new Set(statuses)]}`);
  } finally {
    probing = false;
    await probe;
    await load.stop();
    await server.close();
    state.cleanup();
  }
});
