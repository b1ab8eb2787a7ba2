/**
 * Found by fuzzing every gRPC method: error messages cut long names and versions to a few dozen UTF-16 units, and
 * a cut through an emoji leaves half a surrogate pair. grpc-js percent-encodes status details with encodeURI
 * outside any handler, which throws on a lone surrogate: the URIError brought the whole server down. Details are
 * now made well-formed (U+FFFD for the half), and the call answers with its status.
 *
 * Also found by fuzzing: a ModelStatistics message whose name field declares 1.1 MB and carries 700 KB was
 * answered with an error quoting the whole decoded name. The 700 KB `grpc-message` trailer was more than the client
 * accepts, and the call (and the next ones on that connection) never completed. Names are now cut in that message,
 * and any status details are cut to MAX_DETAILS_CHARS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/index.js';
import { inferenceServiceDefinition } from '../../src/transport/grpc/proto-loader.js';
import { MAX_DETAILS_CHARS, wellFormedDetails } from '../../src/transport/grpc/status.js';
import { startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';
import { GIVE_UP_MS } from '../helpers/wait-for.js';

const definition = inferenceServiceDefinition();
const EMOJI = '\u{1F600}';

function call(client: Client, method: string, message: object | Buffer): Promise<{ code: number; details: string }> {
  const bytes = Buffer.isBuffer(message) ? message : definition[method]!.requestSerialize(message);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/inference.GRPCInferenceService/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      new Metadata(),
      { deadline: Date.now() + GIVE_UP_MS },
      (err: ServiceError | null) =>
        resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' }),
    );
  });
}

describe('gRPC status details cut through a surrogate pair', () => {
  let repo: TempRepository;
  let server: RunningServer;
  let client: Client;
  before(async () => {
    repo = await tempRepository({ digits: { onnx: 'models/digits/1/model.onnx' } });
    server = await startTestServer({ repository: repo.dir, config: { grpc_port: 0, metrics_port: -1 } });
    client = new Client(server.grpcUrl!, credentials.createInsecure());
  });
  after(async () => {
    client?.close();
    await server?.close();
    await repo?.cleanup();
  });

  const cases: ReadonlyArray<[string, string, object, number]> = [
    ['a model name cut at 128', 'ModelMetadata', { name: 'a'.repeat(127) + EMOJI + 'b'.repeat(8) }, status.NOT_FOUND],
    [
      'a version cut at 32',
      'ModelConfig',
      { name: 'digits', version: '1'.repeat(31) + EMOJI },
      status.INVALID_ARGUMENT,
    ],
    [
      'an input name cut at 64',
      'ModelInfer',
      {
        model_name: 'digits',
        inputs: [
          {
            name: 'x'.repeat(63) + EMOJI + 'y'.repeat(8),
            datatype: 'FP32',
            shape: ['1', '64'],
            contents: { fp32_contents: new Array<number>(64).fill(0) },
          },
        ],
      },
      status.INVALID_ARGUMENT,
    ],
  ];
  for (const [what, method, message, code] of cases) {
    test(`${method} with ${what} through an emoji answers ${status[code]} and the server lives on`, async () => {
      const answer = await call(client, method, message);
      assert.equal(answer.code, code, `${status[answer.code]}: ${answer.details}`);
      assert.equal((await call(client, 'ServerLive', {})).code, status.OK);
    });
  }

  test('a name field that declares more bytes than it carries answers INVALID_ARGUMENT with short details', async () => {
    // Field 1 (name), length 1,100,000 (varint e0 91 43), then 704,621 bytes: decoders read what is there.
    const bytes = Buffer.concat([Buffer.from([0x0a, 0xe0, 0x91, 0x43]), Buffer.alloc(704_621, 'x')]);
    for (const method of ['ModelStatistics', 'ModelMetadata', 'ModelInfer']) {
      const answer = await call(client, method, bytes);
      assert.equal(
        answer.code,
        status.INVALID_ARGUMENT,
        `${method}: ${status[answer.code]} ${answer.details.slice(0, 200)}`,
      );
      assert.ok(
        answer.details.length <= MAX_DETAILS_CHARS,
        `${method}: ${answer.details.length} characters of details`,
      );
    }
    assert.equal((await call(client, 'ServerLive', {})).code, status.OK);
  });
});

test('status details longer than MAX_DETAILS_CHARS are cut, say so, and stay well-formed', () => {
  const long = 'n'.repeat(MAX_DETAILS_CHARS - 65) + EMOJI + 'm'.repeat(5000);
  const details = wellFormedDetails(long);
  assert.ok(details.length <= MAX_DETAILS_CHARS, `${details.length} characters`);
  assert.match(details, /shortened from 5961 characters/);
  assert.doesNotThrow(() => encodeURI(details));
  assert.equal(wellFormedDetails('short'), 'short');
});
