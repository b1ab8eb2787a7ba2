/**
 * TF Serving / KServe V1 over real HTTP: the model status endpoints, and errors as `{"error": "..."}` with the
 * statuses V2 uses (400 client mistakes naming what was wrong, 404 unknown model, version or verb).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import {
  errorMessage,
  get,
  postJson,
  startTestServer,
  tempRepository,
  type TempRepository,
} from '../helpers/server.js';

const ROW = Array.from({ length: 64 }, (_, i) => i % 17);

describe('V1 status and errors', () => {
  let server: RunningServer;
  let repo: TempRepository;

  before(async () => {
    repo = await tempRepository({
      digits: { onnx: 'models/digits/1/model.onnx' },
      pair: { onnx: 'two_in_two_out.onnx' },
      broken: { onnx: 'not_a_model.onnx' },
    });
    server = await startTestServer({ repository: repo.dir, strictReadiness: false });
  });

  after(async () => {
    await server?.close();
    await repo?.cleanup();
  });

  const predict = (path: string, body: unknown, raw = false) =>
    postJson(`${server.url}/v1/models/${path}`, body, { raw });

  /** Asserts the status and that the error message matches every pattern. */
  async function expectError(
    result: Promise<Awaited<ReturnType<typeof predict>>>,
    status: number,
    ...patterns: RegExp[]
  ) {
    const r = await result;
    assert.equal(r.status, status, r.text);
    const message = errorMessage(r);
    for (const p of patterns) assert.match(message, p);
  }

  it('GET /v1/models/{m} answers TF Serving model status', async () => {
    const r = await get(`${server.url}/v1/models/digits`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
    });
    const v = await get(`${server.url}/v1/models/digits/versions/1`);
    assert.deepEqual(v.json, r.json);
  });

  it('a model that failed to load is END with its reason', async () => {
    const r = await get(`${server.url}/v1/models/broken`);
    assert.equal(r.status, 200, r.text);
    const [status] = (
      r.json as {
        model_version_status: Array<{ state: string; status: { error_code: string; error_message: string } }>;
      }
    ).model_version_status;
    assert.equal(status.state, 'END');
    assert.equal(status.status.error_code, 'UNKNOWN');
    assert.ok(status.status.error_message.length > 0);
  });

  it('unknown model or version: 404', async () => {
    await expectError(get(`${server.url}/v1/models/nope`), 404, /unknown model 'nope'/);
    await expectError(get(`${server.url}/v1/models/digits/versions/7`), 404, /no version 7/);
    await expectError(predict('nope:predict', { instances: [ROW] }), 404, /unknown model 'nope'/);
    await expectError(predict('digits/versions/7:predict', { instances: [ROW] }), 404, /no version 7/);
    await expectError(predict('digits:classify', { instances: [ROW] }), 404, /no route/);
  });

  it('wrong row length: 400 naming the input and the expected shape', async () => {
    await expectError(
      predict('digits:predict', { instances: [ROW.slice(1)] }),
      400,
      /input 'input'/,
      /\[64\]/,
      /\[63\]/,
    );
    await expectError(
      predict('digits:predict', { instances: ROW }),
      400,
      /input 'input'/,
      /each instance must have shape \[64\]/,
    );
    await expectError(predict('digits:predict', { inputs: [ROW.slice(1)] }), 400, /input 'input'/, /\[-1, 64\]/);
  });

  it('ragged rows: 400 saying which row', async () => {
    await expectError(
      predict('digits:predict', { instances: [ROW, ROW.slice(2)] }),
      400,
      /input 'input'/,
      /instances\[1\] is a list of 62 where a list of 64/,
    );
  });

  it('non-numeric data: 400 with the element and the datatype', async () => {
    await expectError(
      predict('digits:predict', { instances: [[...ROW.slice(1), 'x']] }),
      400,
      /input 'input'/,
      /element 63 is "x"/,
      /FP32/,
    );
  });

  it('missing or unknown input: 400 naming it', async () => {
    await expectError(
      predict('pair:predict', { instances: [{ a: [1, 2, 3] }] }),
      400,
      /instances\[0\] has no input 'b'/,
      /needs: a, b/,
    );
    await expectError(
      predict('pair:predict', { inputs: { a: [[1, 2, 3]], c: [[1, 2, 3]] } }),
      400,
      /unknown input 'c'/,
    );
    await expectError(predict('pair:predict', { instances: [[1, 2, 3]] }), 400, /keyed by input name/);
    await expectError(predict('pair:predict', { inputs: [[1, 2, 3]] }), 400, /2 inputs \(a, b\)/);
  });

  it('a malformed body: 400', async () => {
    await expectError(predict('digits:predict', '{', true), 400, /not valid JSON/);
    await expectError(
      predict('digits:predict', { instances: [ROW], inputs: [ROW] }),
      400,
      /both 'instances' and 'inputs'/,
    );
    await expectError(predict('digits:predict', { signature_name: 'x' }), 400, /needs 'instances'/);
    await expectError(predict('digits:predict', { instances: [] }), 400, /non-empty list/);
    await expectError(predict('digits:predict', [ROW]), 400, /JSON object/);
  });

  it('too many rows for max_batch_size: 400 from the core', async () => {
    await expectError(
      predict('digits:predict', { instances: Array.from({ length: 65 }, () => ROW) }),
      400,
      /batch size 65/,
    );
  });
});
