/**
 * `inferd serve --tls-*`: the flags turn on HTTPS (here with mutual TLS), adding to a config file's `tls:` section
 * rather than replacing it; a key that does not match the certificate stops the start with the reason.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { CLI_PATH, MODELS_DIR } from '../helpers/server.js';
import { GIVE_UP_MS } from '../helpers/wait-for.js';
import { httpsGet, opensslSkip, TestPki, type Pem } from './tls-certs.js';

const skip = opensslSkip();
const BASE = [
  'serve',
  '--model-repository',
  MODELS_DIR,
  '--model-control-mode',
  'explicit',
  '--http-port',
  '0',
  '--grpc-port=-1',
  '--metrics-port=-1',
  '--log-level',
  'info',
];

interface Running {
  readonly url: Promise<string>;
  readonly exited: Promise<{ code: number | null; output: string }>;
  stop(): void;
}

/** Starts the CLI; `url` resolves with the address it logs as listening on. */
function serve(args: string[]): Running {
  const child = spawn(process.execPath, [CLI_PATH, ...BASE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INFERD_HOST: '' },
  });
  let output = '';
  let found: (url: string) => void;
  const url = new Promise<string>((resolve) => (found = resolve));
  // Only so a child that never exits cannot hang the suite; a loaded machine may take long to start it.
  const timer = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    const m = /inferd listening on (https?:\/\/[^"\s]+)/.exec(output);
    if (m) found(m[1]);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
  return { url, exited, stop: () => child.kill('SIGTERM') };
}

describe('inferd serve --tls-*', { skip }, () => {
  let pki: TestPki;
  let ca: Pem;
  let client: Pem;

  before(async () => {
    pki = await TestPki.create();
    ca = await pki.ca('ca');
    await pki.leaf('server', 'ca', '0F01', 'server');
    await pki.leaf('other', 'ca', '0F02', 'server');
    client = await pki.leaf('client', 'ca', '0F03', 'client');
  });
  after(() => pki?.cleanup());

  it('config file cert and key plus --tls-ca and --tls-client-auth require: HTTPS with mutual TLS', async () => {
    const config = pki.path('inferd.yaml');
    await writeFile(config, `tls:\n  cert_file: ${pki.path('server.crt')}\n  key_file: ${pki.path('server.key')}\n`);
    const run = serve(['--config', config, '--tls-ca', pki.path('ca.crt'), '--tls-client-auth', 'require']);
    const url = await Promise.race([
      run.url,
      run.exited.then((e) => assert.fail(`inferd exited ${e.code}: ${e.output}`)),
    ]);
    try {
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(
        (await httpsGet(`${url}/v2/health/live`, { ca: ca.cert, cert: client.cert, key: client.key })).status,
        200,
      );
      await assert.rejects(httpsGet(`${url}/v2/health/live`, { ca: ca.cert }));
    } finally {
      run.stop();
    }
    assert.equal((await run.exited).code, 0);
  });

  it("--tls-key that is not the certificate's key: exit 2 naming both files", async () => {
    const { code, output } = await serve(['--tls-cert', pki.path('server.crt'), '--tls-key', pki.path('other.key')])
      .exited;
    assert.equal(code, 2);
    assert.match(
      output,
      /inferd: tls\.key_file .*other\.key is not the private key of the certificate in tls\.cert_file .*server\.crt/,
    );
  });

  it('--tls-cert without --tls-key: a config error naming the missing setting', async () => {
    const { code, output } = await serve(['--tls-cert', pki.path('server.crt')]).exited;
    assert.equal(code, 2);
    assert.match(output, /tls\.key_file/);
  });
});
