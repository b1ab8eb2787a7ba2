/**
 * With auth on, POST /v1/feedback is an administrative action (scope `admin`), POST /v1/models/{m}/feedback needs
 * the model's inference scope, a label joins only a prediction of the principal that sends it, and reading
 * quality needs any authenticated caller, over a started server with API keys.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { errorMessage, type HttpResult, startTestServer } from '../helpers/server.js';
import { tempDir } from '../audit/audit-helpers.js';
import { KEYS, keysFile } from '../security/security-helpers.js';
import { DIGITS, qualityRepository } from './feedback-helpers.js';
import type { TempRepository } from '../helpers/server.js';

describe('feedback behind auth', () => {
  let repo: TempRepository;
  let server: RunningServer;
  const dir = tempDir('inferd-feedback-auth-');

  before(async () => {
    repo = await qualityRepository();
    const keysPath = join(dir.dir, 'keys.yaml');
    writeFileSync(
      keysPath,
      keysFile([
        { name: 'ops', key: KEYS.ops, scopes: ['admin', 'infer:*'] },
        { name: 'web', key: KEYS.web, scopes: ['infer:digits'] },
      ]),
    );
    server = await startTestServer({
      repository: repo.dir,
      config: {
        grpc_port: -1,
        metrics_port: -1,
        strict_readiness: false,
        audit: { enabled: true, path: join(dir.dir, 'audit.db') },
        auth: { enabled: true, api_keys_file: keysPath },
      },
    });
  });
  after(async () => {
    await server?.close();
    await repo?.cleanup();
    dir.cleanup();
  });

  const call = async (path: string, key: string | undefined, body?: unknown): Promise<HttpResult> => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...(key ? { 'x-api-key': key } : {}),
    };
    const res = await fetch(`${server.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
  };

  it("POST /v1/feedback needs the admin scope; labels join only the sender's own predictions", async () => {
    const infer = await call('/v2/models/digits/infer', KEYS.web, {
      id: 'auth-1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: DIGITS.inputs[0] }],
    });
    assert.equal(infer.status, 200, infer.text);
    const feedback = { feedback: [{ id: 'auth-1', label: DIGITS.true_labels[0] }] };
    assert.equal((await call('/v1/feedback', undefined, feedback)).status, 401);
    const denied = await call('/v1/feedback', KEYS.web, feedback);
    assert.equal(denied.status, 403);
    assert.match(errorMessage(denied), /lack the scope 'admin'/);
    const other = await call('/v1/feedback', KEYS.ops, feedback);
    assert.equal(other.status, 200, other.text);
    assert.deepEqual(
      [(other.json as { accepted: number }).accepted, (other.json as { unknown: number }).unknown],
      [0, 1],
      'ops did not make that prediction',
    );
    assert.equal((await call('/v1/models/digits/feedback', undefined, feedback)).status, 401);
    const accepted = await call('/v1/models/digits/feedback', KEYS.web, feedback);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal((accepted.json as { accepted: number }).accepted, 1);
  });

  it('GET /v1/models/{m}/quality needs an authenticated caller', async () => {
    assert.equal((await call('/v1/models/digits/quality', undefined)).status, 401);
    const r = await call('/v1/models/digits/quality', KEYS.web);
    assert.equal(r.status, 200, r.text);
    assert.equal(
      (r.json as { windows: Array<{ versions: Array<{ labels: number }> }> }).windows[0].versions[0].labels,
      1,
    );
  });
});
