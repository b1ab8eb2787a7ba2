/**
 * The HTTP client commands against a real HTTPS inferd whose certificate a private CA signed (certificates made
 * with openssl in the test): without the CA they say what to pass; with --cacert (or INFERD_CACERT) they work; a
 * server that requires client certificates (mutual TLS) is reached with --cert and --key (or INFERD_CERT,
 * INFERD_KEY), and refused without them with a hint; `replay --url https://...` takes the same options.
 */
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { opensslSkip, TestPki, type Pem } from '../security/tls-certs.js';
import { CANCER, qualityRepository } from '../quality/feedback-helpers.js';
import type { TempRepository } from '../helpers/server.js';
import { runCli, shown } from './cli-helpers.js';

const skip = opensslSkip();

/** POSTs JSON over HTTPS with the given client TLS material; resolves with the status. */
function postTls(url: string, body: unknown, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false, ...tls },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('HTTP client commands over TLS with a private CA', { skip }, () => {
  let pki: TestPki;
  let ca: Pem;
  let client: Pem;
  let repo: TempRepository;
  let https: RunningServer;
  let mutual: RunningServer;
  let config: string;

  before(async () => {
    pki = await TestPki.create();
    ca = await pki.ca('ca');
    await pki.leaf('server', 'ca', '0A01', 'server');
    client = await pki.leaf('client', 'ca', '0A02', 'client');
    repo = await qualityRepository();
    const tls = { cert_file: pki.path('server.crt'), key_file: pki.path('server.key') };
    const base = {
      model_repository: repo.dir,
      http_port: 0,
      grpc_port: -1,
      metrics_port: -1,
      log_level: 'silent' as const,
      strict_readiness: false,
    };
    https = await startServer(resolveServerConfig({ ...base, tls }));
    const audit = { enabled: true, path: pki.path('audit.db'), durability: 'acknowledged' as const };
    mutual = await startServer(
      resolveServerConfig({ ...base, audit, tls: { ...tls, ca_file: pki.path('ca.crt'), client_auth: 'require' } }),
    );
    config = pki.path('inferd.json');
    writeFileSync(config, JSON.stringify({ model_repository: repo.dir, audit }));
  });
  after(async () => {
    await https?.close();
    await mutual?.close();
    await repo?.cleanup();
    await pki?.cleanup();
  });

  test('without the CA: refused with the reason and what to pass; with --cacert or INFERD_CACERT: answered', async () => {
    assert.match(https.url, /^https:\/\//);
    const url = ['--url', https.url];
    const untrusted = await runCli(['models', 'list', ...url]);
    assert.equal(untrusted.code, 1, shown(untrusted));
    assert.match(
      untrusted.stderr,
      /cannot reach inferd at https:\/\/127\.0\.0\.1:\d+ \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)[^)]*\): its certificate is not signed by a CA this client trusts; pass the CA's certificate with --cacert FILE \(or INFERD_CACERT\)/,
    );
    const byFlag = await runCli(['models', 'list', '--cacert', pki.path('ca.crt'), ...url]);
    assert.equal(byFlag.code, 0, shown(byFlag));
    assert.match(byFlag.stdout, /^cancer\s+1\s+READY$/m);
    const byEnv = await runCli(['traffic', 'show', 'cancer', ...url], { INFERD_CACERT: pki.path('ca.crt') });
    assert.equal(byEnv.code, 0, shown(byEnv));
    assert.match(byEnv.stdout, /^model 'cancer': weights none/);
    const rollouts = await runCli(['rollout', 'status', 'cancer', '--cacert', pki.path('ca.crt'), ...url]);
    assert.equal(rollouts.code, 0, shown(rollouts));
  });

  test('mutual TLS: --cert and --key (or INFERD_CERT, INFERD_KEY) are presented; without them the hint says so', async () => {
    const url = ['--url', mutual.url, '--cacert', pki.path('ca.crt')];
    const anonymous = await runCli(['models', 'list', ...url]);
    assert.equal(anonymous.code, 1, shown(anonymous));
    assert.match(
      anonymous.stderr,
      /^inferd models: cannot reach inferd at https:\/\/127\.0\.0\.1:\d+ \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: tlsv13 alert certificate required\): the server requires a client certificate \(mutual TLS\); pass --cert FILE --key FILE \(or INFERD_CERT, INFERD_KEY\)\n$/,
    );
    const byFlag = await runCli([
      'models',
      'list',
      '--cert',
      pki.path('client.crt'),
      '--key',
      pki.path('client.key'),
      ...url,
    ]);
    assert.equal(byFlag.code, 0, shown(byFlag));
    assert.match(byFlag.stdout, /^digits\s+1\s+READY$/m);
    const byEnv = await runCli(['models', 'list', '--json'], {
      INFERD_URL: mutual.url,
      INFERD_CACERT: pki.path('ca.crt'),
      INFERD_CERT: pki.path('client.crt'),
      INFERD_KEY: pki.path('client.key'),
    });
    assert.equal(byEnv.code, 0, shown(byEnv));
    assert.ok((JSON.parse(byEnv.stdout) as Array<{ name: string }>).some((r) => r.name === 'cancer'));
    const half = await runCli(['models', 'list', '--cert', pki.path('client.crt'), ...url]);
    assert.equal(half.code, 2, shown(half));
    assert.match(half.stderr, /--cert needs --key: a client certificate \(PEM\) and its private key go together/);
  });

  test('replay --url https:// with --cacert, --cert and --key replays against the mutual-TLS server', async () => {
    for (let i = 0; i < 4; i++) {
      assert.equal(
        await postTls(
          `${mutual.url}/v2/models/cancer/infer`,
          { id: `tls-${i}`, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: [CANCER.inputs[i]] }] },
          { ca: ca.cert, cert: client.cert, key: client.key },
        ),
        200,
      );
    }
    const args = [
      'replay',
      '--config',
      config,
      '--model',
      'cancer',
      '--since',
      '1h',
      '--limit',
      '4',
      '--rate',
      '1000',
      '--json',
      '--url',
      mutual.url,
      '--cacert',
      pki.path('ca.crt'),
    ];
    const r = await runCli([...args, '--cert', pki.path('client.crt'), '--key', pki.path('client.key')]);
    assert.equal(r.code, 0, shown(r));
    const report = JSON.parse(r.stdout) as { compared: number; failed: number; agreement: number };
    assert.deepEqual([report.compared, report.failed, report.agreement], [4, 0, 1]);
    const refused = JSON.parse((await runCli(args)).stdout) as { failed: number; errors: Array<{ error: string }> };
    assert.equal(refused.failed, 4);
    assert.match(
      refused.errors[0].error,
      /the server requires a client certificate \(mutual TLS\); pass --cert FILE --key FILE/,
    );
  });
});
