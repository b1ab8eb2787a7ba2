/**
 * Artifact integrity: a corrupted file or a bad signature keeps a version from loading, with a reason that says
 * what is wrong and what to do, and whatever was serving keeps serving.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { resolveServerConfig, type RunningServer } from '../../src/index.js';
import {
  buildManifest,
  buildModelManifest,
  integrityPolicy,
  manifestBytes,
  signManifest,
  verifyVersionIntegrity,
} from '../../src/registry/integrity.js';
import { CLI_PATH, startTestServer } from '../helpers/server.js';
import { call, digitsBody, infer, MODELS, putVersion, tempRepo } from './lifecycle-helpers.js';

const run = promisify(execFile);

interface KeyPair {
  readonly privatePem: string;
  readonly publicPath: string;
}

function keyPair(dir: string, name: string): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicPath = join(dir, `${name}.pub`);
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPath };
}

/** Writes manifest.json and (with a key) manifest.sig, as `inferd sign` does. */
async function sign(versionDir: string, key?: KeyPair): Promise<void> {
  const bytes = manifestBytes(await buildManifest(versionDir));
  writeFileSync(join(versionDir, 'manifest.json'), bytes);
  if (key) writeFileSync(join(versionDir, 'manifest.sig'), signManifest(bytes, key.privatePem));
}

/** Signs the model folder's own files (config, labels), as `inferd sign` on the model folder does besides its versions. */
async function signModel(modelDir: string, key: KeyPair): Promise<void> {
  const bytes = manifestBytes(await buildModelManifest(modelDir, basename(modelDir)));
  writeFileSync(join(modelDir, 'manifest.json'), bytes);
  writeFileSync(join(modelDir, 'manifest.sig'), signManifest(bytes, key.privatePem));
}

/** Flips bytes in the middle of a file, as a bad disk or a truncated copy would. */
function corrupt(path: string): void {
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(path, bytes);
}

async function startSigned(dir: string, keys: readonly string[]): Promise<RunningServer> {
  return startTestServer({
    repository: dir,
    config: { model_control_mode: 'explicit', load_models: ['*'], integrity: 'signed', trusted_keys: [...keys] },
  });
}

async function refusedLoad(server: RunningServer, model: string): Promise<string> {
  const res = await call<{ error: string }>(`${server.url}/v2/repository/models/${model}/load`, { method: 'POST' });
  assert.equal(res.status, 400, `load should be refused: ${JSON.stringify(res.body)}`);
  return res.body.error;
}

async function answeredBy(server: RunningServer, model: string): Promise<string | undefined> {
  const a = await infer(`${server.url}/v2/models/${model}/infer`, digitsBody(0));
  assert.equal(a.status, 200, a.error);
  return a.version;
}

describe('artifact integrity (signed)', () => {
  test('a corrupted file: the new version is refused, the previous version still answers', async () => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
    const key = keyPair(repo.dir, 'trusted');
    await sign(join(repo.dir, 'digits', '1'), key);
    await signModel(join(repo.dir, 'digits'), key);
    const server = await startSigned(repo.dir, [key.publicPath]);
    try {
      assert.equal(await answeredBy(server, 'digits'), '1');
      const v2 = putVersion(repo.dir, 'digits', 2, MODELS.heavy);
      await sign(v2, key);
      corrupt(join(v2, 'model.onnx'));
      const reason = await refusedLoad(server, 'digits');
      assert.match(
        reason,
        /integrity check failed for model 'digits' version 2: model\.onnx has sha256 [0-9a-f]{12}… but manifest\.json lists [0-9a-f]{12}… \(the file is corrupted or was changed\); restore the published file or re-sign the version/,
      );
      assert.equal(await answeredBy(server, 'digits'), '1');
      const traffic = await call<{ versions: Array<{ version: number; state: string; integrity: string }> }>(
        `${server.url}/v1/models/digits/traffic`,
      );
      assert.deepEqual(
        traffic.body.versions.map((v) => [v.version, v.state, v.integrity]),
        [
          [1, 'READY', 'signed'],
          [2, 'UNAVAILABLE', 'off'],
        ],
      );
      const events = await call<{
        events: Array<{ type: string; version: number; evidence: { still_serving: number[] } }>;
      }>(`${server.url}/v1/models/digits/events`);
      const refused = events.body.events.find((e) => e.type === 'version_refused');
      assert.deepEqual(refused && [refused.version, refused.evidence.still_serving], [2, [1]]);
    } finally {
      await server.close();
      repo.cleanup();
    }
  });

  test('a bad signature (an untrusted signer, or a manifest edited after signing) is refused; v1 keeps answering', async () => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
    const trusted = keyPair(repo.dir, 'trusted');
    const stranger = keyPair(repo.dir, 'stranger');
    await sign(join(repo.dir, 'digits', '1'), trusted);
    await signModel(join(repo.dir, 'digits'), trusted);
    const server = await startSigned(repo.dir, [trusted.publicPath]);
    try {
      const v2 = putVersion(repo.dir, 'digits', 2, MODELS.heavy);
      await sign(v2, stranger);
      assert.match(
        await refusedLoad(server, 'digits'),
        /version 2: manifest\.sig does not verify with any of the 1 trusted key\(s\).*add the signer's public key to trusted_keys/,
      );
      assert.equal(await answeredBy(server, 'digits'), '1');

      await sign(v2, trusted);
      appendFileSync(join(v2, 'manifest.json'), ' ');
      assert.match(await refusedLoad(server, 'digits'), /manifest\.sig does not verify/);
      assert.equal(await answeredBy(server, 'digits'), '1');

      await sign(v2, trusted); // fixed: the swap goes ahead
      assert.equal((await call(`${server.url}/v2/repository/models/digits/load`, { method: 'POST' })).status, 200);
      assert.equal(await answeredBy(server, 'digits'), '2');
    } finally {
      await server.close();
      repo.cleanup();
    }
  });

  test('reloading a version whose file was corrupted in place keeps the loaded copy serving', async () => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
    const key = keyPair(repo.dir, 'trusted');
    await sign(join(repo.dir, 'digits', '1'), key);
    await signModel(join(repo.dir, 'digits'), key);
    const server = await startSigned(repo.dir, [key.publicPath]);
    try {
      corrupt(join(repo.dir, 'digits', '1', 'model.onnx'));
      assert.match(await refusedLoad(server, 'digits'), /version 1: model\.onnx has sha256/);
      assert.equal(await answeredBy(server, 'digits'), '1');
      const index = await call<Array<{ version?: string; state: string }>>(`${server.url}/v2/repository/index`, {
        method: 'POST',
      });
      assert.deepEqual(
        index.body.map((e) => [e.version, e.state]),
        [['1', 'READY']],
      );
    } finally {
      await server.close();
      repo.cleanup();
    }
  });

  test('at start, a version without a signature is refused with the command that fixes it; other models serve', async () => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } }, other: { versions: { 1: MODELS.digits } } });
    const key = keyPair(repo.dir, 'trusted');
    await sign(join(repo.dir, 'other', '1'), key);
    await signModel(join(repo.dir, 'other'), key);
    await sign(join(repo.dir, 'digits', '1')); // manifest only
    await signModel(join(repo.dir, 'digits'), key);
    const server = await startSigned(repo.dir, [key.publicPath]);
    try {
      assert.equal(await answeredBy(server, 'other'), '1');
      const index = await call<Array<{ name: string; state: string; reason?: string }>>(
        `${server.url}/v2/repository/index`,
        { method: 'POST' },
      );
      const digits = index.body.find((e) => e.name === 'digits');
      assert.equal(digits?.state, 'UNAVAILABLE');
      assert.match(
        digits?.reason ?? '',
        /manifest\.sig is missing and the integrity policy is 'signed'; sign the version with 'inferd sign --key KEY DIR'/,
      );
    } finally {
      await server.close();
      repo.cleanup();
    }
  });
});

describe('artifact integrity (checksum)', () => {
  test('missing manifest, a file not listed, a listed file missing: each refused with its reason', async () => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
    const dir = join(repo.dir, 'digits', '1');
    const policy = integrityPolicy('checksum', []);
    try {
      await assert.rejects(
        verifyVersionIntegrity(dir, policy, 'v1'),
        /v1: manifest\.json is missing and the integrity policy is 'checksum'; write it with 'inferd sign /,
      );
      await sign(dir);
      assert.deepEqual(await verifyVersionIntegrity(dir, policy, 'v1'), {
        mode: 'checksum',
        files: 1,
        keyIndex: undefined,
      });
      writeFileSync(join(dir, 'extra.bin'), 'x');
      await assert.rejects(
        verifyVersionIntegrity(dir, policy, 'v1'),
        /extra\.bin is not in manifest\.json; remove the file or re-sign/,
      );
      await sign(dir);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
        files: Record<string, string>;
      };
      manifest.files['labels.txt'] = '0'.repeat(64);
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
      await assert.rejects(
        verifyVersionIntegrity(dir, policy, 'v1'),
        /labels\.txt is listed in manifest\.json but missing/,
      );
      assert.equal(await verifyVersionIntegrity(dir, integrityPolicy('off', []), 'v1'), undefined);
      // A symbolic link is a file the loader reads through: an unlisted one is refused, a listed one is hashed through.
      await sign(dir);
      writeFileSync(join(repo.dir, 'outside.json'), '{"requests": []}');
      symlinkSync(join(repo.dir, 'outside.json'), join(dir, 'warmup.json'));
      await assert.rejects(verifyVersionIntegrity(dir, policy, 'v1'), /v1: warmup\.json is not in manifest\.json/);
      await sign(dir);
      assert.equal((await verifyVersionIntegrity(dir, policy, 'v1'))?.files, 3); // model.onnx, extra.bin, warmup.json
      writeFileSync(join(repo.dir, 'outside.json'), '{"requests": [{}]}');
      await assert.rejects(verifyVersionIntegrity(dir, policy, 'v1'), /v1: warmup\.json has sha256/);
      unlinkSync(join(repo.dir, 'outside.json'));
      await assert.rejects(
        verifyVersionIntegrity(dir, policy, 'v1'),
        (err: Error) => /v1: warmup\.json cannot be read \(ENOENT/.test(err.message) && !err.message.includes(repo.dir),
      );
    } finally {
      repo.cleanup();
    }
  });

  test("'signed' without trusted keys, or with a key that is not ed25519, is a config error", () => {
    assert.throws(
      () => resolveServerConfig({ integrity: 'signed' }),
      /integrity 'signed' needs at least one trusted public key/,
    );
    const repo = tempRepo({});
    try {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
      writeFileSync(join(repo.dir, 'rsa.pub'), rsa);
      assert.throws(
        () => integrityPolicy('signed', [join(repo.dir, 'rsa.pub')]),
        /rsa\.pub is a rsa key; inferd verifies ed25519 signatures/,
      );
    } finally {
      repo.cleanup();
    }
  });
});

describe('inferd keygen and inferd sign', () => {
  test('the CLI makes a key pair and signs a model folder the server then loads', async () => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits, 2: MODELS.heavy } } });
    try {
      const keygen = await run(process.execPath, [CLI_PATH, 'keygen', '--out', repo.dir, '--name', 'ci']);
      assert.match(keygen.stdout, /ci\.key \(private: keep it secret\) and .*ci\.pub/);
      await assert.rejects(
        run(process.execPath, [CLI_PATH, 'keygen', '--out', repo.dir, '--name', 'ci']),
        /already exist/,
      );
      writeFileSync(join(repo.dir, 'digits', 'config.yaml'), 'version_policy: all\n');
      const signed = await run(process.execPath, [
        CLI_PATH,
        'sign',
        '--key',
        join(repo.dir, 'ci.key'),
        join(repo.dir, 'digits'),
      ]);
      assert.match(
        signed.stdout,
        /digits: manifest\.json \(model folder: 1 file; absent: config\.pbtxt\) and manifest\.sig\n.*digits\/1: manifest\.json \(1 file\) and manifest\.sig\n.*digits\/2: manifest\.json \(1 file\) and manifest\.sig/,
      );
      const server = await startSigned(repo.dir, [join(repo.dir, 'ci.pub')]);
      try {
        const traffic = await call<{ versions: Array<{ state: string; integrity: string }> }>(
          `${server.url}/v1/models/digits/traffic`,
        );
        assert.deepEqual(
          traffic.body.versions.map((v) => [v.state, v.integrity]),
          [
            ['READY', 'signed'],
            ['READY', 'signed'],
          ],
        );
      } finally {
        await server.close();
      }
    } finally {
      repo.cleanup();
    }
  });
});
