/**
 * TLS over real sockets: HTTPS and gRPC over TLS with certificates openssl makes at run time. A client trusting the
 * test CA gets through, one without it does not; with client_auth require (mutual TLS) a client needs a certificate
 * the CA signed; replacing the certificate files changes what a new connection is shown, without a restart; broken
 * files fail the start with their reason.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import type { ServerConfigFile } from '../../src/config/index.js';
import { TlsMaterial } from '../../src/security/tls-material.js';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../src/telemetry/logger.js';
import { MODELS_DIR } from '../helpers/server.js';
import { logRecords } from './security-helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import { httpsGet, opensslSkip, TestPki, type Pem } from './tls-certs.js';

const skip = opensslSkip();

/** The certificate a new TLS connection to `port` is shown (ALPN h2, as gRPC clients offer). */
function peerOf(port: number, ca: Buffer): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port, ca, ALPNProtocols: ['h2'] }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** ServerLive on `client`; resolves with the response bytes (`live: true` is 08 01). */
function live(client: Client): Promise<Buffer> {
  const identity = (b: Buffer) => b;
  // Only so a broken server cannot hang the suite; refusals come back at once as UNAVAILABLE, not at the deadline.
  const deadline = Date.now() + 60_000;
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(
      '/inference.GRPCInferenceService/ServerLive',
      identity,
      identity,
      Buffer.alloc(0),
      { deadline },
      (err, response) => {
        if (err) reject(err);
        else resolve(response!);
      },
    );
  });
}

/** ServerLive over a new gRPC channel with `creds`. */
async function grpcLive(target: string, creds: ChannelCredentials): Promise<Buffer> {
  const client = new Client(target, creds, SERVER_NAME);
  try {
    return await live(client);
  } finally {
    client.close();
  }
}

const LIVE = Buffer.from([0x08, 0x01]);
/** The certificates name 127.0.0.1 and localhost; a host name as TLS server name (SNI) avoids Node's IP warning. */
const SERVER_NAME = { 'grpc.ssl_target_name_override': 'localhost' };

/** A server with no models loaded (explicit mode): TLS is all these tests look at. */
/** Starts the server; what it logs (info and up) is appended to `logs` when given. */
async function startTlsServer(tls: NonNullable<ServerConfigFile['tls']>, logs?: string[]): Promise<RunningServer> {
  const config = resolveServerConfig({
    model_repository: MODELS_DIR,
    model_control_mode: 'explicit',
    http_port: 0,
    log_level: 'silent',
    tls,
  });
  if (!logs) return startServer(config);
  const sink = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      logs.push(chunk.toString());
      done();
    },
  });
  return startServer(config, createLogger('info', sink));
}

describe('TLS', { skip }, () => {
  let pki: TestPki;
  let ca: Pem;
  let first: Pem;
  let server: RunningServer;
  const logs: string[] = [];

  before(async () => {
    pki = await TestPki.create();
    ca = await pki.ca('ca');
    first = await pki.leaf('server-a', 'ca', '0A01', 'server');
    await pki.install('server-a.crt', 'server.crt');
    await pki.install('server-a.key', 'server.key');
    server = await startTlsServer(
      { cert_file: pki.path('server.crt'), key_file: pki.path('server.key'), reload_secs: 0.05 },
      logs,
    );
  });

  after(async () => {
    await server?.close();
    await pki?.cleanup();
  });

  it('HTTPS: a client trusting the CA gets 200 and sees the configured certificate; without the CA it is refused', async () => {
    assert.match(server.url, /^https:\/\//);
    const ok = await httpsGet(`${server.url}/v2/health/live`, { ca: ca.cert });
    assert.equal(ok.status, 200);
    assert.equal(ok.peer.serialNumber, first.serial);
    await assert.rejects(httpsGet(`${server.url}/v2/health/live`, {}), /self[- ]signed|unable to (get|verify)/i);
    await assert.rejects(fetch(server.url.replace('https:', 'http:') + '/v2/health/live'));
  });

  it('gRPC over TLS: ServerLive answers a client trusting the CA; no CA or plaintext is refused', async () => {
    assert.deepEqual(await grpcLive(server.grpcUrl!, credentials.createSsl(ca.cert)), LIVE);
    await assert.rejects(
      grpcLive(server.grpcUrl!, credentials.createSsl()),
      (err: { code?: number }) => err.code === 14,
    );
    await assert.rejects(
      grpcLive(server.grpcUrl!, credentials.createInsecure()),
      (err: { code?: number }) => err.code === 14,
    );
  });

  it('the metrics port stays plain HTTP', async () => {
    assert.match(server.metricsUrl!, /^http:\/\//);
    assert.equal((await fetch(server.metricsUrl!)).status, 200);
  });

  it('rotation: new files are shown to new HTTPS and gRPC connections without a restart; a bad rotation keeps the old certificate', async (t) => {
    const grpcBefore = new Client(server.grpcUrl!, credentials.createSsl(ca.cert), SERVER_NAME);
    assert.deepEqual(await live(grpcBefore), LIVE);
    const second = await pki.leaf('server-b', 'ca', '0B02', 'server');
    assert.notEqual(second.serial, first.serial);
    // A half-done rotation (new certificate, old key) is refused; the running certificate stays.
    // Each step waits for the server's own word that it looked at the changed files, then asserts at once.
    let from = logs.length;
    await pki.install('server-b.crt', 'server.crt');
    await waitFor(
      () => logRecords(logs, 'TLS files changed but cannot be used; keeping the current certificate', from).length > 0,
      'the half-done rotation to be refused',
      t.signal,
    );
    assert.equal((await httpsGet(`${server.url}/v2/health/live`, { ca: ca.cert })).peer.serialNumber, first.serial);
    from = logs.length;
    await pki.install('server-b.key', 'server.key');
    await waitFor(
      () => logRecords(logs, 'TLS certificate reloaded; new connections use it', from).length > 0,
      'the new certificate to be loaded',
      t.signal,
    );
    assert.equal(
      (await httpsGet(`${server.url}/v2/health/live`, { ca: ca.cert })).peer.serialNumber,
      second.serial,
      'a new HTTPS connection never saw the new certificate',
    );
    const grpcPeer = await peerOf(server.grpcPort!, ca.cert);
    assert.equal(grpcPeer.serialNumber, second.serial);
    assert.equal(grpcPeer.fingerprint256, new X509Certificate(second.cert).fingerprint256);
    assert.deepEqual(await grpcLive(server.grpcUrl!, credentials.createSsl(ca.cert)), LIVE);
    // The connection made before the rotation keeps working.
    assert.deepEqual(await live(grpcBefore), LIVE);
    grpcBefore.close();
  });
});

describe('mutual TLS (client_auth: require)', { skip }, () => {
  let pki: TestPki;
  let ca: Pem;
  let client: Pem;
  let stranger: Pem;
  let server: RunningServer;

  before(async () => {
    pki = await TestPki.create();
    ca = await pki.ca('ca');
    await pki.leaf('server', 'ca', '0C01', 'server');
    client = await pki.leaf('client', 'ca', '0C02', 'client');
    await pki.ca('other-ca');
    stranger = await pki.leaf('stranger', 'other-ca', '0D01', 'client');
    server = await startTlsServer({
      cert_file: pki.path('server.crt'),
      key_file: pki.path('server.key'),
      ca_file: pki.path('ca.crt'),
      client_auth: 'require',
    });
  });

  after(async () => {
    await server?.close();
    await pki?.cleanup();
  });

  it('gRPC: no client certificate or one from another CA is refused; one the CA signed is accepted', async () => {
    await assert.rejects(
      grpcLive(server.grpcUrl!, credentials.createSsl(ca.cert)),
      (err: { code?: number }) => err.code === 14,
    );
    await assert.rejects(
      grpcLive(server.grpcUrl!, credentials.createSsl(ca.cert, stranger.key, stranger.cert)),
      (err: { code?: number }) => err.code === 14,
    );
    assert.deepEqual(await grpcLive(server.grpcUrl!, credentials.createSsl(ca.cert, client.key, client.cert)), LIVE);
  });

  it('HTTPS: no client certificate or one from another CA is refused; one the CA signed is accepted', async () => {
    const url = `${server.url}/v2/health/live`;
    await assert.rejects(httpsGet(url, { ca: ca.cert }));
    await assert.rejects(httpsGet(url, { ca: ca.cert, cert: stranger.cert, key: stranger.key }));
    assert.equal((await httpsGet(url, { ca: ca.cert, cert: client.cert, key: client.key })).status, 200);
  });
});

describe('TLS files at start', { skip }, () => {
  let pki: TestPki;
  before(async () => {
    pki = await TestPki.create();
    await pki.ca('ca');
    await pki.leaf('a', 'ca', '0E01', 'server');
    await pki.leaf('b', 'ca', '0E02', 'server');
  });
  after(() => pki?.cleanup());

  const material = (cert: string, key: string, caFile?: string) =>
    new TlsMaterial(
      {
        certFile: pki.path(cert),
        keyFile: pki.path(key),
        caFile: caFile && pki.path(caFile),
        clientAuth: 'none',
        reloadMs: 0,
        metrics: false,
      },
      silentLogger(),
    );

  it('an unreadable file is named with the setting and flag to fix', () => {
    assert.throws(
      () => material('missing.crt', 'a.key'),
      /cannot read tls\.cert_file .*missing\.crt: ENOENT.*--tls-cert/,
    );
    assert.throws(() => material('a.crt', 'missing.key'), /cannot read tls\.key_file .*--tls-key/);
  });

  it("a key that is not the certificate's is refused, naming both files", () => {
    assert.throws(
      () => material('a.crt', 'b.key'),
      /tls\.key_file .*b\.key is not the private key of the certificate in tls\.cert_file .*a\.crt \(serial 0E01/,
    );
  });

  it('files that are not PEM are refused', () => {
    assert.throws(() => material('a.key', 'a.key'), /tls\.cert_file .* holds no PEM certificate/);
    assert.throws(() => material('a.crt', 'a.crt'), /tls\.key_file .* holds no unencrypted PEM private key/);
    assert.throws(() => material('a.crt', 'a.key', 'a.key'), /tls\.ca_file .* holds no PEM certificate/);
  });

  it('the server refuses to start with a mismatched key; client_auth without a CA is a config error', async () => {
    const config = resolveServerConfig({
      model_repository: MODELS_DIR,
      model_control_mode: 'explicit',
      http_port: 0,
      log_level: 'silent',
      tls: { cert_file: pki.path('a.crt'), key_file: pki.path('b.key') },
    });
    await assert.rejects(startServer(config), /is not the private key of the certificate/);
    assert.throws(
      () => resolveServerConfig({ tls: { cert_file: 'a', key_file: 'b', client_auth: 'require' } }),
      /tls\.client_auth 'require' .* set tls\.ca_file \(flag --tls-ca FILE\)/,
    );
  });
});

describe('client_auth: request', { skip }, () => {
  let pki: TestPki;
  let ca: Pem;
  let client: Pem;
  let server: RunningServer;

  before(async () => {
    pki = await TestPki.create();
    ca = await pki.ca('ca');
    await pki.leaf('server', 'ca', '1001', 'server');
    client = await pki.leaf('client', 'ca', '1002', 'client');
    server = await startTlsServer({
      cert_file: pki.path('server.crt'),
      key_file: pki.path('server.key'),
      ca_file: pki.path('ca.crt'),
      client_auth: 'request',
    });
  });

  after(async () => {
    await server?.close();
    await pki?.cleanup();
  });

  it('a client certificate is asked for but not required, over HTTPS and gRPC', async () => {
    const url = `${server.url}/v2/health/live`;
    assert.equal((await httpsGet(url, { ca: ca.cert })).status, 200);
    assert.equal((await httpsGet(url, { ca: ca.cert, cert: client.cert, key: client.key })).status, 200);
    assert.deepEqual(await grpcLive(server.grpcUrl!, credentials.createSsl(ca.cert)), LIVE);
    assert.deepEqual(await grpcLive(server.grpcUrl!, credentials.createSsl(ca.cert, client.key, client.cert)), LIVE);
  });
});
