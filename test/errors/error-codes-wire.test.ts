/**
 * Refusals carry their stable error code over the real interfaces: in the HTTP error body beside the message
 * (`{"error", "code"}`: V2 and V1 routes, authentication and rate limits, unknown routes, client mistakes, a body
 * over the limit) and in gRPC's trailing metadata `inferd-error-code`, with the status details still the message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODES, type PublicErrorCode } from '../../src/errors/index.js';
import { HTTP_STATUS } from '../../src/transport/http/status.js';
import { GRPC_STATUS } from '../../src/transport/grpc/status.js';
import { connect, rawBytes } from '../grpc/grpc-client.js';
import { DIGITS_REQUEST, KEYS, post, startSecureServer, type SecureServer } from '../security/security-helpers.js';
import { postJson, startTestServer } from '../helpers/server.js';

const ops = { 'x-api-key': KEYS.ops };

/** Asserts an HTTP refusal: the code's status and a body of exactly a message and that code. */
function assertRefusal(answer: { status: number; text: string }, code: PublicErrorCode): string {
  assert.equal(answer.status, HTTP_STATUS[ERROR_CODES[code]], answer.text);
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['code', 'error'], answer.text);
  assert.equal(body.code, code, answer.text);
  assert.equal(typeof body.error, 'string');
  return body.error as string;
}

describe('error codes over HTTP and gRPC', () => {
  let s: SecureServer;
  let url: string;

  before(async () => {
    s = await startSecureServer({ grpc: true });
    url = s.server.url;
  });
  after(() => s.stop());

  describe('HTTP', () => {
    it('authentication and scope refusals: unauthenticated, permission_denied', async () => {
      assert.match(
        assertRefusal(await post(url, '/v2/models/digits/infer', DIGITS_REQUEST), 'unauthenticated'),
        /no credentials/,
      );
      const web = { 'x-api-key': KEYS.web };
      assert.match(
        assertRefusal(await post(url, '/v2/models/breast_cancer/infer', DIGITS_REQUEST, web), 'permission_denied'),
        /infer:breast_cancer/,
      );
    });

    it('over the rate limit: rate_limited, with Retry-After', async () => {
      const limited = { 'x-api-key': KEYS.limited };
      // The key's burst is 2 and its rate one token per 1000 s: the third request is refused.
      for (let i = 0; i < 2; i++)
        assert.equal((await post(url, '/v2/models/digits/infer', DIGITS_REQUEST, limited)).status, 200);
      const refused = await post(url, '/v2/models/digits/infer', DIGITS_REQUEST, limited);
      assertRefusal(refused, 'rate_limited');
      assert.ok(refused.headers.get('retry-after'));
    });

    it('unknown route, model and version: route_not_found, model_not_found, version_not_found', async () => {
      const res = await fetch(`${url}/v2/no/such/route`, { headers: ops });
      assertRefusal({ status: res.status, text: await res.text() }, 'route_not_found');
      assert.match(
        assertRefusal(await post(url, '/v2/models/nope/infer', DIGITS_REQUEST, ops), 'model_not_found'),
        /unknown model 'nope'/,
      );
      assert.match(
        assertRefusal(await post(url, '/v2/models/digits/versions/9/infer', DIGITS_REQUEST, ops), 'version_not_found'),
        /no version 9/,
      );
    });

    it('client mistakes: invalid_argument for a malformed body, input_mismatch for one that does not fit the model', async () => {
      assertRefusal(await post(url, '/v2/models/digits/infer', '{"inputs": [', ops), 'invalid_argument');
      const wrongShape = JSON.stringify({
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 63], data: new Array(63).fill(0) }],
      });
      assert.match(
        assertRefusal(await post(url, '/v2/models/digits/infer', wrongShape, ops), 'input_mismatch'),
        /input/,
      );
    });

    it('a body over the server limit: body_too_large', async () => {
      const small = await startTestServer({ bodyLimitBytes: 1024 });
      try {
        const answer = await postJson(`${small.url}/v2/repository/index`, 'x'.repeat(4096), { raw: true });
        assert.match(assertRefusal(answer, 'body_too_large'), /larger than the limit of 1024 bytes/);
      } finally {
        await small.close();
      }
    });

    it('V1 routes answer the same way', async () => {
      assertRefusal(await post(url, '/v1/models/nope:predict', '{"instances": [[1]]}', ops), 'model_not_found');
      assertRefusal(await post(url, '/v1/models/digits:predict', '{"instances": ', ops), 'invalid_argument');
    });
  });

  describe('gRPC', () => {
    /** The ServiceError of a ModelInfer call with `metadata`. */
    async function refusal(request: object, metadata: Record<string, string>): Promise<ServiceError> {
      const client = connect(s.server.grpcUrl!, {}, metadata);
      try {
        await client.call('ModelInfer', request);
      } catch (err) {
        return err as ServiceError;
      } finally {
        client.close();
      }
      return assert.fail('expected ModelInfer to be refused');
    }

    function assertGrpcRefusal(err: ServiceError, code: PublicErrorCode): void {
      assert.equal(err.code, GRPC_STATUS[ERROR_CODES[code]], `${status[err.code]}: ${err.details}`);
      assert.deepEqual(err.metadata.get('inferd-error-code'), [code]);
      assert.ok(err.details.length > 0, 'the details are the message');
    }

    const digits = (model: string) => ({
      model_name: model,
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
      raw_input_contents: [rawBytes(new Float32Array(64))],
    });

    it('unauthenticated, model_not_found, invalid_argument and version_not_found in the trailing metadata', async () => {
      assertGrpcRefusal(await refusal(digits('digits'), {}), 'unauthenticated');
      const unknown = await refusal(digits('nope'), ops);
      assertGrpcRefusal(unknown, 'model_not_found');
      assert.match(unknown.details, /unknown model 'nope'/);
      const bad = { ...digits('digits'), inputs: [{ name: 'no_such_input', datatype: 'FP32', shape: [1, 64] }] };
      assertGrpcRefusal(await refusal(bad, ops), 'invalid_argument');
      const version = await refusal({ ...digits('digits'), model_version: '9' }, ops);
      assertGrpcRefusal(version, 'version_not_found');
      assert.match(version.details, /no version 9/);
    });
  });
});
