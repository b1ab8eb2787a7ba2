/**
 * Request ids are the client's choice and collide across models: a label joins only a prediction of the model it
 * names (the route's, or the item's `model`), never the newest prediction of whatever model used the same id. Run
 * with auth off (everyone is 'anonymous'); the caller side is in test/security/audit-identity.test.ts. Also: with
 * auth off, the logged caller is the client's claim and says so.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import type { StoredPrediction } from '../../src/audit/audit-record.js';
import { postJson, type HttpResult, type TempRepository } from '../helpers/server.js';
import { tempDir } from '../audit/audit-helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import { CANCER, DIGITS, infer, qualityRepository, startQualityServer } from './feedback-helpers.js';

describe('feedback joins cannot cross models', () => {
  let repo: TempRepository;
  let server: RunningServer;
  const dir = tempDir('inferd-feedback-identity-');

  before(async () => {
    repo = await qualityRepository();
    server = await startQualityServer(repo.dir, { path: join(dir.dir, 'audit.db') });
  });
  after(async () => {
    await server?.close();
    await repo?.cleanup();
    dir.cleanup();
  });

  const counts = (r: HttpResult) => {
    const j = r.json as {
      accepted: number;
      unknown: number;
      duplicate: number;
      unusable: number;
      unusable_items: Array<{ reason: string }>;
    };
    return {
      accepted: j.accepted,
      unknown: j.unknown,
      duplicate: j.duplicate,
      unusable: j.unusable,
      reasons: j.unusable_items.map((i) => i.reason),
    };
  };

  it("a label posted to a model joins that model's prediction, not another model's with the same id", async () => {
    // digits answers 'shared' first, cancer second (the newest): the digits label must still meet digits.
    await infer(server.url, 'digits', 'shared', [DIGITS.inputs[0]]);
    await infer(server.url, 'cancer', 'shared', [CANCER.inputs[0]]);
    const digits = await postJson(`${server.url}/v1/models/digits/feedback`, {
      feedback: [{ id: 'shared', label: 5 }],
    });
    assert.equal(digits.status, 200, digits.text);
    assert.deepEqual(counts(digits), { accepted: 1, unknown: 0, duplicate: 0, unusable: 0, reasons: [] });
    const cancer = await postJson(`${server.url}/v1/models/cancer/feedback`, {
      feedback: [{ id: 'shared', label: 1 }],
    });
    assert.deepEqual(
      counts(cancer),
      { accepted: 1, unknown: 0, duplicate: 0, unusable: 0, reasons: [] },
      "cancer's label is its own, not a duplicate of digits'",
    );
    const none = await postJson(`${server.url}/v1/models/diabetes/feedback`, {
      feedback: [{ id: 'shared', value: 100 }],
    });
    assert.deepEqual(
      counts(none),
      { accepted: 0, unknown: 1, duplicate: 0, unusable: 0, reasons: [] },
      'diabetes never answered that id',
    );

    const db = new Database(join(dir.dir, 'audit.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT model, label FROM feedback WHERE request_id = 'shared' ORDER BY model").all();
      assert.deepEqual(rows, [
        { model: 'cancer', label: 1 },
        { model: 'digits', label: 5 },
      ]);
    } finally {
      db.close();
    }
  });

  it("POST /v1/feedback: an id of several models needs the item's model; with it, that model is joined", async () => {
    await infer(server.url, 'digits', 'both', [DIGITS.inputs[1]]);
    await infer(server.url, 'cancer', 'both', [CANCER.inputs[1]]);
    const ambiguous = await postJson(`${server.url}/v1/feedback`, { feedback: [{ id: 'both', label: 1 }] });
    assert.equal(ambiguous.status, 200, ambiguous.text);
    const c = counts(ambiguous);
    assert.deepEqual([c.accepted, c.unusable], [0, 1]);
    assert.match(c.reasons[0], /names predictions of models 'cancer', 'digits'.*\/v1\/models\/\{model\}\/feedback/);
    const named = await postJson(`${server.url}/v1/feedback`, {
      feedback: [{ id: 'both', model: 'digits', label: 1 }],
    });
    assert.deepEqual(counts(named), { accepted: 1, unknown: 0, duplicate: 0, unusable: 0, reasons: [] });
    const mismatch = await postJson(`${server.url}/v1/models/cancer/feedback`, {
      feedback: [{ id: 'both', model: 'digits', label: 1 }],
    });
    assert.equal(mismatch.status, 400, mismatch.text);
    assert.match(mismatch.text, /names another model than 'cancer'/);
  });

  it("with auth off, the logged caller is the client's claim and is marked claimed", async () => {
    const res = await fetch(`${server.url}/v2/models/digits/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-inferd-caller': 'billing' },
      body: JSON.stringify({
        id: 'claimed-1',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: DIGITS.inputs[0] }],
      }),
    });
    assert.equal(res.status, 200);
    let found: StoredPrediction[] = [];
    await waitFor(async () => {
      found = (
        (await (await fetch(`${server.url}/v1/predictions?request_id=claimed-1`)).json()) as {
          predictions: StoredPrediction[];
        }
      ).predictions;
      return found.length > 0;
    }, 'the prediction to be logged');
    assert.deepEqual(
      [found[0].caller, found[0].caller_source, found[0].claimed_caller],
      ['billing', 'claimed', 'billing'],
    );
  });
});
