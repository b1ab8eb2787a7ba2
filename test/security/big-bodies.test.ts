/**
 * Big bodies are refused before they are decoded, and decoded without stopping the server: a V1 body with more
 * instances than max_batch_size and a V2 body declaring a shape the model cannot take are refused before their
 * data is parsed (the data here is not even JSON); a body whose Content-Length is above what the model can take is
 * refused before it is read; the default limit follows the loaded models; and a large allowed body is decoded
 * while the event loop keeps turning and a probe is answered.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import type { InferenceRequest } from '../../src/inference/types.js';
import { startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';
import { GIVE_UP_MS, Latch } from '../helpers/wait-for.js';

const ROW = `[${new Array(64).fill('0.5').join(',')}]`;
const NOT_JSON = 'this is not JSON, and nothing reads it'.repeat(100);

async function post(
  server: RunningServer,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.status, text: await res.text() };
}

/**
 * Sends a request's head announcing `contentLength` bytes and only the first `sent` bytes of the body, then waits
 * for the answer (or the connection's end): a server that reads the body first never answers.
 */
function postHeadOnly(
  server: RunningServer,
  path: string,
  contentLength: number,
  sent = 1024,
): Promise<{ status: number; head: string; text: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no answer within ${GIVE_UP_MS / 1000} s to a request whose body was not sent: the server waited for the body`,
        ),
      );
    }, GIVE_UP_MS);
    const finish = () => {
      clearTimeout(giveUp);
      socket.destroy();
      const [head = '', text = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), head, text });
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(received)?.[1];
      if (end >= 0 && length !== undefined && received.length >= end + 4 + Number(length)) finish();
    });
    socket.on('end', finish);
    socket.on('error', reject);
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${contentLength}\r\n\r\n`,
    );
    socket.write(`{"instances":[${ROW}`.padEnd(sent, ' '));
  });
}

describe('big bodies', () => {
  let repo: TempRepository;
  let server: RunningServer;

  before(async () => {
    repo = await tempRepository({
      small: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
      // 8192 rows x 64 FP32 x json_overhead_factor 8: a derived limit of 16 MiB and 64 KiB.
      large: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8192\n' } },
      probe: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
    });
    server = await startTestServer({
      repository: repo.dir,
      config: { grpc_port: -1, metrics_port: -1, model_control_mode: 'explicit', load_models: ['small', 'probe'] },
    });
  });

  after(async () => {
    await server?.close();
    await repo?.cleanup();
  });

  it('V1: more instances than max_batch_size are refused before the body is parsed (the rest is not even JSON)', async () => {
    const body = `{"instances":[${new Array(9).fill(ROW).join(',')},${NOT_JSON}`;
    const r = await post(server, '/v1/models/small:predict', body);
    assert.equal(r.status, 400, r.text);
    assert.match(
      r.text,
      /'instances' has more than 8 instances \(batch size 9 or more\), but model 'small' takes at most 8 per request \(max_batch_size 8\); split/,
    );
  });

  it('V1 columnar: more rows than max_batch_size are refused before the body is parsed', async () => {
    const r = await post(
      server,
      '/v1/models/small:predict',
      `{"inputs":[${new Array(9).fill(ROW).join(',')},${NOT_JSON}`,
    );
    assert.equal(r.status, 400, r.text);
    assert.match(
      r.text,
      /'inputs' has more than 8 rows \(batch size 9 or more\), but model 'small' takes at most 8 per request \(max_batch_size 8\)/,
    );
  });

  it('V2: a declared batch above max_batch_size, or dims the model does not take, is refused before the data is decoded', async () => {
    const head = (shape: number[]) =>
      `{"inputs":[{"name":"input","datatype":"FP32","shape":[${shape.join(',')}],"data":[${NOT_JSON}`;
    const batch = await post(server, '/v2/models/small/infer', head([484000, 64]));
    assert.equal(batch.status, 400, batch.text);
    assert.match(
      batch.text,
      /input 'input' has a batch of 484000 rows \(shape \[484000, 64\]\), but model 'small' takes at most 8 per request \(max_batch_size 8\)/,
    );
    const dims = await post(server, '/v2/models/small/infer', head([1, 100000]));
    assert.equal(dims.status, 400, dims.text);
    assert.match(
      dims.text,
      /input 'input' has shape \[1, 100000\], but model 'small' expects \[-1, 64\] \(-1 is any size; the batch first, then its input dims\)/,
    );
  });

  it('V2 binary: a declared batch above max_batch_size is refused before the binary data is read', async () => {
    const json = JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [9, 64], parameters: { binary_data_size: 9 * 256 } }],
    });
    const body = Buffer.concat([Buffer.from(json), Buffer.alloc(10)]); // far less binary data than declared
    const r = await post(server, '/v2/models/small/infer', body, {
      'inference-header-content-length': String(Buffer.byteLength(json)),
    });
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /has a batch of 9 rows .* \(max_batch_size 8\)/);
  });

  it('a Content-Length above what the model can take is refused before the body is read', async () => {
    // 4 MiB announced, 1 KiB sent: the answer comes without the rest of the body, and the connection closes.
    const r = await postHeadOnly(server, '/v1/models/small:predict', 4 * 1024 * 1024);
    assert.equal(r.status, 413, r.head + r.text);
    assert.match(r.head, /connection: close/i);
    assert.match(
      r.text,
      /the request body is 4194304 bytes, above the limit of model 'small' \(1048576 bytes: max batch size 8 .*limits\.json_overhead_factor 8/,
    );
  });

  it('the default limit (for a model not loaded) follows the loaded models, and each model has its own', async () => {
    const bytes = 3 * 1024 * 1024;
    // Only small models are loaded: 3 MiB is more than any of them takes.
    const refused = await postHeadOnly(server, '/v2/models/large/infer', bytes);
    assert.equal(refused.status, 413, refused.text);
    assert.match(refused.text, /above the largest body any loaded model takes \(1048576 bytes\)/);
    const load = await post(server, '/v2/repository/models/large/load', '');
    assert.equal(load.status, 200, load.text);
    // Loaded, 'large' takes it; and a model that is not loaded now gets up to the largest loaded model's limit.
    const body = `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,64],"data":${ROW}}]}`.padEnd(bytes, ' ');
    const served = await post(server, '/v2/models/large/infer', body);
    assert.equal(served.status, 200, served.text);
    const unknown = await post(server, '/v2/models/not_loaded/infer', body);
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal((await postHeadOnly(server, '/v2/models/small/infer', bytes)).status, 413);
    const unload = await post(server, '/v2/repository/models/large/unload', '');
    assert.equal(unload.status, 200, unload.text);
    const again = await postHeadOnly(server, '/v2/models/not_loaded/infer', bytes);
    assert.equal(again.status, 413, again.text);
  });

  it('a large allowed body is decoded while the event loop turns and a probe is answered', async () => {
    const load = await post(server, '/v2/repository/models/large/load', '');
    assert.equal(load.status, 200, load.text);
    const service = server.inferd.service;
    // The V1 route reads the model's signature once the body is in, just before decoding it; the core's infer()
    // is called once it is decoded. Between the two: how often the event loop turned, and whether a probe was answered.
    let turns = 0;
    let decoding = false;
    let probeAnswered = false;
    let probe: Promise<unknown> | undefined;
    const decoded = new Latch();
    const seen = { turns: -1, probeAnswered: false };
    const config = service.config.bind(service);
    const infer = service.infer.bind(service);
    service.config = (model, version) => {
      if (model === 'large' && !decoding) {
        decoding = true;
        const turn = () =>
          setImmediate(() => {
            turns++;
            if (!decoded.released) turn();
          });
        turn();
        const probeBody = JSON.stringify({
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) }],
        });
        probe = post(server, '/v2/models/probe/infer', probeBody).then((r) => {
          assert.equal(r.status, 200, r.text);
          probeAnswered = true;
        });
      }
      return config(model, version);
    };
    service.infer = (request: InferenceRequest) => {
      if (request.model === 'large' && decoding && !decoded.released) {
        Object.assign(seen, { turns, probeAnswered });
        decoded.release();
      }
      return infer(request);
    };
    try {
      // ~9 MB of V1 JSON: its decoding takes far longer than a one-row probe's round trip.
      const rows = Array.from(
        { length: 8192 },
        (_, r) => `[${Array.from({ length: 64 }, (_, i) => ((r * 64 + i) / 524288).toFixed(15)).join(',')}]`,
      );
      const r = await post(server, '/v1/models/large:predict', `{"instances":[${rows.join(',')}]}`);
      assert.equal(r.status, 200, r.text.slice(0, 300));
      await decoded.promise;
      await probe;
      assert.ok(
        seen.turns >= 1,
        `the event loop turned ${seen.turns} times while the body was decoded: decoding blocked it`,
      );
      assert.ok(seen.probeAnswered, 'the probe was answered only after the large body was decoded');
    } finally {
      service.config = config;
      service.infer = infer;
    }
  });
});
