/**
 * Client mistakes get the right 4xx status and a message naming the problem; a model that failed to load
 * answers 503 with its reason; none of these is ever a 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import {
  errorMessage,
  get,
  inferBody,
  outputNamed,
  postJson,
  readJsonFixture,
  startTestServer,
  tempRepository,
  type HttpResult,
  type TempRepository,
} from '../helpers/server.js';

const digits = readJsonFixture<{ inputs: number[][]; labels: number[] }>('test/fixtures/reference/digits.json');
const ROW = digits.inputs[0];

/** Every status any request in this file received, to check at the end that none was a 5xx other than 503. */
const seen: Array<{ what: string; status: number }> = [];

function record(what: string, r: HttpResult): HttpResult {
  seen.push({ what, status: r.status });
  return r;
}

/** Asserts the status and that the `{"error": ...}` message matches every pattern. */
function assertError(r: HttpResult, status: number, ...patterns: RegExp[]): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
  const message = errorMessage(r);
  for (const p of patterns) assert.match(message, p);
}

function digitsInput(overrides: Record<string, unknown> = {}) {
  return { name: 'input', datatype: 'FP32', shape: [1, 64], data: ROW, ...overrides };
}

describe('bad input', () => {
  let repo: TempRepository;
  let server: RunningServer;
  let lenient: RunningServer;

  before(async () => {
    repo = await tempRepository({
      digits: {
        onnx: 'models/digits/1/model.onnx',
        config: {
          file: 'config.yaml',
          text: 'max_batch_size: 64\ndynamic_batching:\n  max_queue_delay_microseconds: 0\n',
        },
      },
      two_in_two_out: { onnx: 'two_in_two_out.onnx' },
      broken: { onnx: 'not_a_model.onnx' },
    });
    server = await startTestServer({ repository: repo.dir });
    lenient = await startTestServer({ repository: repo.dir, strictReadiness: false, bodyLimitBytes: 2048 });
  });

  after(async () => {
    await server?.close();
    await lenient?.close();
    await repo?.cleanup();
  });

  const infer = async (what: string, body: unknown, path = '/v2/models/digits/infer', raw = false) =>
    record(what, await postJson(`${server.url}${path}`, body, { raw }));

  it('malformed JSON → 400', async () => {
    assertError(await infer('malformed', '{"inputs": [', undefined, true), 400, /not valid JSON/);
  });

  it('empty body → 400', async () => {
    assertError(await infer('empty', '', undefined, true), 400, /empty/);
  });

  it('body that is not a JSON object → 400', async () => {
    assertError(await infer('array body', [1, 2, 3]), 400, /JSON object/);
    assertError(await infer('null body', 'null', undefined, true), 400, /JSON object/);
    assertError(await infer('string body', '"hello"', undefined, true), 400, /JSON object/);
  });

  it('missing inputs → 400', async () => {
    assertError(await infer('no inputs', {}), 400, /'inputs'/);
    assertError(await infer('empty inputs', { inputs: [] }), 400, /'inputs'/);
    assertError(await infer('inputs not array', { inputs: { name: 'input' } }), 400, /'inputs'/);
  });

  it('unknown input name → 400 naming it', async () => {
    assertError(await infer('unknown input', { inputs: [digitsInput({ name: 'pixels' })] }), 400, /'pixels'/);
  });

  it('missing required input → 400 naming it', async () => {
    const r = await infer(
      'missing b',
      { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] },
      '/v2/models/two_in_two_out/infer',
    );
    assertError(r, 400, /'b'/);
  });

  it('an input given twice → 400', async () => {
    assertError(
      await infer('duplicate input', { inputs: [digitsInput(), digitsInput()] }),
      400,
      /'input'/,
      /more than once/,
    );
  });

  it('inputs with different batch sizes → 400', async () => {
    const r = await infer(
      'batch mismatch',
      {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
          { name: 'b', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
        ],
      },
      '/v2/models/two_in_two_out/infer',
    );
    assertError(r, 400, /batch size/);
  });

  it('wrong datatype (FP64 for FP32) → 400 naming both', async () => {
    assertError(await infer('FP64', { inputs: [digitsInput({ datatype: 'FP64' })] }), 400, /FP64/, /FP32/);
  });

  it('shape that does not match the element count → 400', async () => {
    assertError(await infer('count mismatch', { inputs: [digitsInput({ shape: [2, 64] })] }), 400, /128/, /64/);
  });

  it('wrong trailing dimension ([1, 63]) → 400 naming the shapes', async () => {
    const r = await infer('trailing dim', { inputs: [digitsInput({ shape: [1, 63], data: ROW.slice(0, 63) })] });
    assertError(r, 400, /\[1, 63\]/, /64/);
  });

  it('wrong rank ([64]) → 400', async () => {
    assertError(await infer('rank', { inputs: [digitsInput({ shape: [64] })] }), 400, /\[64\]/);
  });

  it('batch above max_batch_size → 400', async () => {
    const rows = Array.from({ length: 65 }, () => ROW);
    const r = await infer('batch 65', { inputs: [digitsInput({ shape: [65, 64], data: rows.flat() })] });
    assertError(r, 400, /65/, /max_batch_size/);
  });

  it('batch of zero rows → 400', async () => {
    assertError(await infer('batch 0', { inputs: [digitsInput({ shape: [0, 64], data: [] })] }), 400, /batch size 0/);
  });

  it('non-numeric data (a string in FP32) → 400 naming the element', async () => {
    const data = [...ROW];
    data[5] = 'abc' as unknown as number; // deliberately the wrong type
    assertError(await infer('string in FP32', { inputs: [digitsInput({ data })] }), 400, /element 5/, /"abc"/);
  });

  it("'data' that is not an array → 400", async () => {
    assertError(await infer('data scalar', { inputs: [digitsInput({ data: 3 })] }), 400, /'data'/);
    assertError(await infer('data missing', { inputs: [digitsInput({ data: undefined })] }), 400, /'data'/);
  });

  it('unknown datatype → 400 naming it', async () => {
    assertError(
      await infer('FLOAT32', { inputs: [digitsInput({ datatype: 'FLOAT32' })] }),
      400,
      /unknown datatype/,
      /FLOAT32/,
    );
  });

  it('negative or fractional shape → 400', async () => {
    assertError(await infer('negative shape', { inputs: [digitsInput({ shape: [-1, 64] })] }), 400, /shape/, /-1/);
    assertError(await infer('fractional shape', { inputs: [digitsInput({ shape: [1.5, 64] })] }), 400, /shape/);
  });

  it('shape whose product overflows → 400, not an allocation failure', async () => {
    assertError(await infer('huge shape', { inputs: [digitsInput({ shape: [2 ** 40, 64] })] }), 400, /shape/);
  });

  it('unknown output name → 400 naming it', async () => {
    const r = await infer('unknown output', { inputs: [digitsInput()], outputs: [{ name: 'probabilities' }] });
    assertError(r, 400, /'probabilities'/);
  });

  it("'outputs' that is not an array → 400", async () => {
    assertError(
      await infer('outputs object', { inputs: [digitsInput()], outputs: { name: 'label' } }),
      400,
      /'outputs'/,
    );
  });

  it("non-string 'id' → 400", async () => {
    assertError(await infer('numeric id', { id: 7, inputs: [digitsInput()] }), 400, /'id'/);
  });

  it('unknown model → 404 naming it', async () => {
    assertError(
      await infer('unknown model', { inputs: [digitsInput()] }, '/v2/models/nosuchmodel/infer'),
      404,
      /'nosuchmodel'/,
    );
    assertError(
      record('unknown model metadata', await get(`${server.url}/v2/models/nosuchmodel`)),
      404,
      /'nosuchmodel'/,
    );
    const ready = record('unknown model ready', await get(`${server.url}/v2/models/nosuchmodel/ready`));
    assert.equal(ready.status, 400);
  });

  it('unknown version → 404 naming it', async () => {
    assertError(
      await infer('version 9', { inputs: [digitsInput()] }, '/v2/models/digits/versions/9/infer'),
      404,
      /version 9/,
    );
    assertError(record('version 9 metadata', await get(`${server.url}/v2/models/digits/versions/9`)), 404, /version 9/);
  });

  it("invalid version string ('abc', '0') → 400", async () => {
    assertError(
      await infer('version abc', { inputs: [digitsInput()] }, '/v2/models/digits/versions/abc/infer'),
      400,
      /'abc'/,
    );
    assertError(
      await infer('version 0', { inputs: [digitsInput()] }, '/v2/models/digits/versions/0/infer'),
      400,
      /'0'/,
    );
  });

  it('a model that failed to load → 503 with the load reason; the good models still serve', async () => {
    const r = await infer('broken infer', { inputs: [digitsInput()] }, '/v2/models/broken/infer');
    assertError(r, 503, /'broken'/, /Protobuf parsing failed/);
    assertError(record('broken metadata', await get(`${server.url}/v2/models/broken`)), 503, /Protobuf parsing failed/);
    assert.equal(record('broken ready', await get(`${server.url}/v2/models/broken/ready`)).status, 400);

    const index = record('index', await postJson(`${server.url}/v2/repository/index`, {}));
    assert.equal(index.status, 200);
    const broken = (index.json as Array<{ name: string; state: string; reason?: string }>).find(
      (e) => e.name === 'broken',
    );
    assert.equal(broken?.state, 'UNAVAILABLE');
    assert.match(broken?.reason ?? '', /Protobuf parsing failed/);

    const good = inferBody(await infer('good after broken', { inputs: [digitsInput()] }));
    assert.deepEqual(outputNamed(good, 'label').data, [digits.labels[0]]);
    const two = inferBody(
      await infer(
        'two_in_two_out',
        {
          inputs: [
            { name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
            { name: 'b', datatype: 'FP32', shape: [1, 3], data: [4, 5, 6] },
          ],
        },
        '/v2/models/two_in_two_out/infer',
      ),
    );
    assert.deepEqual(outputNamed(two, 'sum').data, [5, 7, 9]);
  });

  it('server readiness: 400 with strict readiness and a failed model, 200 with strict_readiness false', async () => {
    const strict = record('strict ready', await get(`${server.url}/v2/health/ready`));
    assert.equal(strict.status, 400);
    assert.equal(record('strict live', await get(`${server.url}/v2/health/live`)).status, 200);
    const relaxed = record('lenient ready', await get(`${lenient.url}/v2/health/ready`));
    assert.equal(relaxed.status, 200);
  });

  it('a body larger than body_limit_bytes (2048) → 413', async () => {
    const small = record(
      'under limit',
      await postJson(`${lenient.url}/v2/models/two_in_two_out/infer`, {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
          { name: 'b', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
        ],
      }),
    );
    assert.equal(small.status, 200);
    const body = { inputs: [digitsInput({ shape: [32, 64], data: digits.inputs.flat() })] };
    assert.ok(Buffer.byteLength(JSON.stringify(body)) > 4096, 'the body is well over the limit');
    const r = record('over limit', await postJson(`${lenient.url}/v2/models/digits/infer`, body));
    assertError(r, 413, /2048/);
  });

  it('unknown route → 404', async () => {
    assertError(record('unknown route', await get(`${server.url}/v2/nothing/here`)), 404, /no route/);
    assertError(
      record('unknown route post', await postJson(`${server.url}/v3/models/digits/infer`, {})),
      404,
      /no route/,
    );
    assertError(record('wrong method', await get(`${server.url}/v2/models/digits/infer`)), 404, /GET/);
  });

  it('malformed percent-encoding in the model name → 4xx', async () => {
    const r = record(
      'bad encoding',
      await postJson(`${server.url}/v2/models/%E0%A4%A/infer`, { inputs: [digitsInput()] }),
    );
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}: ${r.text.slice(0, 200)}`);
  });

  it('none of the requests above answered 500 (or any 5xx but 503)', () => {
    assert.ok(seen.length >= 40, `only ${seen.length} requests were recorded`);
    const bad = seen.filter((s) => s.status >= 500 && s.status !== 503);
    assert.deepEqual(bad, []);
  });
});
