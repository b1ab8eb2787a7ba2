/**
 * Found by fuzzing every gRPC method: error messages cut long names and versions to a few dozen UTF-16 units, and
 * a cut through an emoji leaves half a surrogate pair. grpc-js percent-encodes status details with encodeURI
 * outside any handler, which throws on a lone surrogate: the URIError brought the whole server down. Details are
 * now made well-formed (U+FFFD for the half), and the call answers with its status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/index.js';
import { inferenceServiceDefinition } from '../../src/transport/grpc/proto-loader.js';
import { startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';
import { GIVE_UP_MS } from '../helpers/wait-for.js';

const definition = inferenceServiceDefinition();
const EMOJI = '\u{1F600}';

function call(client: Client, method: string, message: object): Promise<{ code: number; details: string }> {
  const bytes = definition[method]!.requestSerialize(message);
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
});
