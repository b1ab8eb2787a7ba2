/**
 * Pre-body admission under a weighted split: a request is refused before its body is read exactly when the
 * version the traffic policy sends it to cannot take it. Model `digits` serves version 1 (fast) at weight 90 and
 * version 2 (digits_slow: the same answers, over 100 ms a row) at weight 10, one queue slot each. With version 2
 * computing one request and holding another in its queue, a routing key that reaches version 2 is refused with
 * 503 before its body is read (an unparseable body shows it was never read), and a key that reaches version 1 is
 * admitted and answered.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { digitsBody, infer, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const CONFIG =
  'version_policy: all\ntraffic: { weights: { 1: 90, 2: 10 } }\ndynamic_batching: { enabled: false, max_queue_size: 1 }\nwarmup: false\n';

let repo: ReturnType<typeof tempRepo>;
let server: RunningServer;

before(async () => {
  repo = tempRepo({ digits: { versions: { 1: MODELS.digits, 2: MODELS.slow }, config: CONFIG } });
  server = await startServer(resolveServerConfig({ model_repository: repo.dir, http_port: 0, log_level: 'silent' }));
});

after(async () => {
  await server?.close();
  repo?.cleanup();
});

const stats = (version: string) => server.inferd.service.statistics('digits', version)[0];
const queueFullShed = (version: string) =>
  stats(version)
    .shed.filter((s) => s.reason === 'queue_full')
    .reduce((n, s) => n + s.count, 0);

/** A routing key the split sends to `version`, found by asking the server (an idle server answers every key). */
async function keyFor(version: string): Promise<string> {
  for (let k = 0; k < 200; k++) {
    const key = `user-${k}`;
    const answer = await infer(`${server.url}/v2/models/digits/infer`, digitsBody(k), { 'x-routing-key': key });
    assert.equal(answer.status, 200, answer.error);
    if (answer.version === version) return key;
  }
  throw new Error(`no key of 200 reached version ${version}`);
}

test('under a 90/10 split, pre-body admission refuses per the version that would answer', async () => {
  const minority = await keyFor('2');
  const majority = await keyFor('1');
  const url = `${server.url}/v2/models/digits/infer`;
  const direct = `${server.url}/v2/models/digits/versions/2/infer`;
  // Version 2 computing one request and holding one queued (seen on its counters, not hoped for). Should the one
  // computing finish before the probes are answered (a stalled machine), the round does not count and runs again.
  for (let round = 0; ; round++) {
    assert.ok(round < 5, 'version 2 never stayed busy through a round');
    let busyDone = false;
    const busy = infer(direct, digitsBody(0)).finally(() => (busyDone = true));
    await waitFor(() => busyDone || stats('2').inFlight === 1, 'a request computing on version 2');
    const queued = infer(direct, digitsBody(1));
    await waitFor(() => busyDone || stats('2').queueDepth === 1, 'a request queued on version 2');
    const shedBefore = queueFullShed('2');
    const shedOnOne = queueFullShed('1');
    // Not JSON: a request whose body were read would be a 400, so a 503 is a refusal made before reading it.
    const refused = await fetch(url, {
      method: 'POST',
      body: '{"inputs": [',
      headers: { 'content-type': 'application/json', 'x-routing-key': minority },
    });
    const refusedBody = (await refused.json()) as { error: string };
    const admitted = await infer(url, digitsBody(2), { 'x-routing-key': majority });
    const stillBusy = !busyDone && stats('2').queueDepth === 1;
    await Promise.all([busy, queued]);
    if (!stillBusy) continue;
    assert.equal(
      refused.status,
      503,
      `the key that reaches version 2 was not refused before its body: ${refused.status} ${refusedBody.error}`,
    );
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(refusedBody.error, /max_queue_size 1/);
    assert.equal(queueFullShed('2') - shedBefore, 1, 'the refusal is counted as shed (queue_full) on version 2');
    assert.equal(admitted.status, 200, `the key that reaches version 1 was refused: ${admitted.error}`);
    assert.equal(admitted.version, '1');
    assert.equal(queueFullShed('1'), shedOnOne, 'nothing was shed on version 1');
    break;
  }
});

test('without a routing key, a request is refused before its body only when every version of the split is full', async () => {
  const url = `${server.url}/v2/models/digits/infer`;
  for (let round = 0; ; round++) {
    assert.ok(round < 5, 'version 2 never stayed busy through a round');
    let busyDone = false;
    const busy = infer(`${server.url}/v2/models/digits/versions/2/infer`, digitsBody(0)).finally(
      () => (busyDone = true),
    );
    await waitFor(() => busyDone || stats('2').inFlight === 1, 'a request computing on version 2');
    const queued = infer(`${server.url}/v2/models/digits/versions/2/infer`, digitsBody(1));
    await waitFor(() => busyDone || stats('2').queueDepth === 1, 'a request queued on version 2');
    // Version 1 is idle: the random draw may yet pick it, so admission lets the body be read (and it is not JSON).
    const answer = await fetch(url, {
      method: 'POST',
      body: '{"inputs": [',
      headers: { 'content-type': 'application/json' },
    });
    const stillBusy = !busyDone && stats('2').queueDepth === 1;
    await Promise.all([busy, queued]);
    if (!stillBusy) continue;
    assert.equal(answer.status, 400, 'admitted: the body was read and refused as malformed');
    break;
  }
});
