/**
 * Models served from an S3-compatible store (s3rver on 127.0.0.1, through the AWS SDK): pulled into the cache
 * under the state directory, loaded from there, not pulled again after a restart; explicit loads pull on demand
 * and the index lists the bucket's models; poll mode follows added, changed and removed versions with a client
 * looping and no failed request; a tampered object is refused under `integrity: signed` while the version before
 * it serves; a download cut mid-way leaves nothing loaded or half-written; a store unreachable at start keeps the
 * server not ready with the reason until it answers; wrong credentials are named without the secret.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { deletePrefix, OwnS3, uploadTree } from '../helpers/own-s3.js';
import { CuttingProxy } from '../helpers/cutting-proxy.js';
import { ThrottlingProxy } from '../helpers/throttling-proxy.js';
import { tempRepository } from '../helpers/server.js';
import { MODELS_DIR, postJson } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { digitsBody, infer, MODELS, startLoad } from '../lifecycle/lifecycle-helpers.js';
import { cliSign, keyFiles } from '../lifecycle/signing-helpers.js';
import {
  index,
  metricValue,
  newBucket,
  readiness,
  startStoreServer,
  tempStateDir,
  useStoreCredentials,
} from './store-helpers.js';

let s3: OwnS3;
before(async () => {
  useStoreCredentials();
  s3 = await OwnS3.start();
});
after(() => s3.stop());

const DIGITS_CONFIG = 'max_batch_size: 64\nversion_policy: { latest: 1 }\n';

/** A local model folder `<tmp>/digits` with the given versions (digits weights) and config. */
function digitsFolder(versions: readonly number[], config = DIGITS_CONFIG): { dir: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'inferd-s3-src-'));
  const dir = join(root, 'digits');
  for (const v of versions) cpSync(MODELS.digits, join(dir, String(v), 'model.onnx'));
  writeFileSync(join(dir, 'config.yaml'), config);
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

const digitsUrl = (url: string, version?: number) =>
  `${url}/v2/models/digits${version ? `/versions/${version}` : ''}/infer`;

describe('serving from a bucket', () => {
  test('serves the bundled digits model from s3://, and after a restart does not pull it again', async () => {
    const bucket = await newBucket(s3);
    await uploadTree(s3.client(), bucket, 'prod/digits', join(MODELS_DIR, 'digits'));
    const state = tempStateDir();
    try {
      const logs: string[] = [];
      let server = await startStoreServer({ endpoint: s3.endpoint, bucket, stateDir: state.dir, logs });
      try {
        assert.equal((await infer(digitsUrl(server.url), digitsBody(0))).status, 200);
        assert.ok((await metricValue(server, 'inferd_artifact_pulled_bytes_total')) > 0, 'bytes pulled are counted');
        assert.ok(
          logs.some((l) => l.includes("pulled model 'digits' version 1")),
          'the pull is logged',
        );
        // The cache is under the state directory; the bucket is the source and nothing is written to it.
        assert.ok(existsSync(join(state.dir, 'artifacts')), 'the cache lives in the state directory');
      } finally {
        await server.close();
      }
      const again: string[] = [];
      server = await startStoreServer({ endpoint: s3.endpoint, bucket, stateDir: state.dir, logs: again });
      try {
        assert.equal((await infer(digitsUrl(server.url), digitsBody(1))).status, 200);
        assert.ok(!again.some((l) => l.includes('pulling model')), 'an unchanged version is not pulled again');
        assert.equal(await metricValue(server, 'inferd_artifact_pulled_bytes_total'), 0);
        const text = await (await fetch(server.metricsUrl ?? '')).text();
        assert.match(text, /inferd_artifact_versions_total\{repository="s3:\/\/[^"]+",outcome="cached"\} 1/);
      } finally {
        await server.close();
      }
    } finally {
      state.cleanup();
    }
  });

  test('explicit mode: the index lists the bucket models and a load request pulls one on demand', async () => {
    const bucket = await newBucket(s3);
    await uploadTree(s3.client(), bucket, 'prod/digits', join(MODELS_DIR, 'digits'));
    await uploadTree(s3.client(), bucket, 'prod/breast_cancer', join(MODELS_DIR, 'breast_cancer'));
    const state = tempStateDir();
    const server = await startStoreServer({
      endpoint: s3.endpoint,
      bucket,
      stateDir: state.dir,
      config: { model_control_mode: 'explicit', allow_empty_repository: true },
    });
    try {
      const names = (await index(server)).map((e) => `${e.name}:${e.state}`);
      assert.deepEqual(names, ['breast_cancer:UNAVAILABLE', 'digits:UNAVAILABLE']);
      const load = await postJson(`${server.url}/v2/repository/models/digits/load`, {});
      assert.equal(load.status, 200, load.text);
      assert.equal((await infer(digitsUrl(server.url), digitsBody(2))).status, 200);
      const missing = await postJson(`${server.url}/v2/repository/models/nope/load`, {});
      assert.notEqual(missing.status, 200);
    } finally {
      await server.close();
      state.cleanup();
    }
  });
});

describe('poll mode over a bucket', () => {
  test('a new version, a changed config and a removed version, with a client looping: no request fails', async () => {
    const bucket = await newBucket(s3);
    const client = s3.client();
    const src = digitsFolder([1, 2]);
    const state = tempStateDir();
    await uploadTree(client, bucket, 'prod/digits', join(src.dir)); // versions 1 and 2; latest 1 serves 2
    await deletePrefix(client, bucket, 'prod/digits/2');
    const server = await startStoreServer({
      endpoint: s3.endpoint,
      bucket,
      stateDir: state.dir,
      config: { model_control_mode: 'poll' },
    });
    const load = startLoad(digitsUrl(server.url), { concurrency: 4, body: digitsBody });
    const served = async (version: string) => {
      await waitFor(
        async () => (await infer(digitsUrl(server.url), digitsBody(0))).version === version,
        `version ${version} answering`,
      );
    };
    try {
      await load.answered(20);
      // Added: version 2 loads, then takes over (latest 1), and version 1 unloads.
      await uploadTree(client, bucket, 'prod/digits/2', join(src.dir, '2'));
      await server.inferd.pollRepository();
      await served('2');
      const before = load.count();
      await load.answered(before + 20);
      // Changed config: the versions reload with it (no version pulled again: same objects).
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'prod/digits/config.yaml',
          Body: DIGITS_CONFIG.replace('64', '32'),
        }),
      );
      await server.inferd.pollRepository();
      await waitFor(async () => {
        const cfg = await (await fetch(`${server.url}/v2/models/digits/config`)).json();
        return (cfg as { max_batch_size?: number }).max_batch_size === 32;
      }, 'the changed config in force');
      await load.answered(load.count() + 20);
      // Removed: version 2 goes; version 1 loads again before version 2 stops.
      await deletePrefix(client, bucket, 'prod/digits/2');
      await server.inferd.pollRepository();
      await served('1');
      await load.answered(load.count() + 20);
      const report = await load.stop();
      assert.deepEqual(report.failures, [], 'no request fails while versions come and go');
      assert.ok(report.answers.length >= 80);
    } finally {
      await load.stop();
      await server.close();
      src.cleanup();
      state.cleanup();
    }
  });

  test('a removed model stops serving; the index no longer lists it', async () => {
    const bucket = await newBucket(s3);
    const client = s3.client();
    await uploadTree(client, bucket, 'prod/digits', join(MODELS_DIR, 'digits'));
    await uploadTree(client, bucket, 'prod/breast_cancer', join(MODELS_DIR, 'breast_cancer'));
    const state = tempStateDir();
    const server = await startStoreServer({
      endpoint: s3.endpoint,
      bucket,
      stateDir: state.dir,
      config: { model_control_mode: 'poll' },
    });
    try {
      await deletePrefix(client, bucket, 'prod/breast_cancer');
      await server.inferd.pollRepository();
      await waitFor(
        async () => !(await index(server)).some((e) => e.name === 'breast_cancer' && e.state === 'READY'),
        'breast_cancer unloaded',
      );
      assert.equal((await infer(digitsUrl(server.url), digitsBody(0))).status, 200);
    } finally {
      await server.close();
      state.cleanup();
    }
  });
});

describe('integrity and partial downloads', () => {
  test('integrity signed: a tampered object is refused and the version before it keeps serving', async () => {
    const bucket = await newBucket(s3);
    const client = s3.client();
    const src = digitsFolder([1, 2]);
    const keys = keyFiles(join(src.dir, '..'), 'release');
    await cliSign(keys, [src.dir]);
    const state = tempStateDir();
    await uploadTree(client, bucket, 'prod/digits', src.dir);
    await deletePrefix(client, bucket, 'prod/digits/2');
    const server = await startStoreServer({
      endpoint: s3.endpoint,
      bucket,
      stateDir: state.dir,
      config: { model_control_mode: 'poll', integrity: 'signed', trusted_keys: [keys.publicPath] },
    });
    try {
      assert.equal((await infer(digitsUrl(server.url), digitsBody(0))).version, '1');
      // Version 2 arrives with its model file swapped for other bytes after signing.
      await uploadTree(client, bucket, 'prod/digits/2', join(src.dir, '2'));
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'prod/digits/2/model.onnx', Body: Buffer.from('not the model') }),
      );
      await server.inferd.pollRepository();
      const rows = await index(server);
      const v2 = rows.find((e) => e.name === 'digits' && e.version === '2');
      assert.ok(v2 && v2.state !== 'READY', `version 2 refused: ${JSON.stringify(rows)}`);
      assert.match(v2.reason ?? '', /integrity check failed/);
      assert.doesNotMatch(v2.reason ?? '', /\/artifacts\//, 'the reason names store paths, not the cache');
      const answer = await infer(digitsUrl(server.url), digitsBody(1));
      assert.equal(answer.status, 200);
      assert.equal(answer.version, '1');
    } finally {
      await server.close();
      src.cleanup();
      state.cleanup();
    }
  });

  test('a download cut mid-way leaves nothing loaded and nothing half-written; the next poll completes it', async () => {
    const bucket = await newBucket(s3);
    const client = s3.client();
    const src = digitsFolder([1, 2]);
    // A large file in version 2, so the cut falls inside it.
    writeFileSync(join(src.dir, '2', 'extra.bin'), Buffer.alloc(8 * 1024 * 1024, 7));
    await uploadTree(client, bucket, 'prod/digits', src.dir);
    await deletePrefix(client, bucket, 'prod/digits/2');
    const proxy = await CuttingProxy.start(() => s3.port);
    const state = tempStateDir();
    const server = await startStoreServer({
      endpoint: proxy.endpoint,
      bucket,
      stateDir: state.dir,
      config: { model_control_mode: 'poll' },
    });
    try {
      await uploadTree(client, bucket, 'prod/digits/2', join(src.dir, '2'));
      const cut = proxy.cutResponsesAfter(2 * 1024 * 1024);
      await server.inferd.pollRepository();
      await cut;
      proxy.pass();
      const rows = await index(server);
      assert.ok(!rows.some((e) => e.version === '2' && e.state === 'READY'), JSON.stringify(rows));
      assert.equal((await infer(digitsUrl(server.url), digitsBody(0))).version, '1', 'version 1 keeps serving');
      // Nothing of version 2 in the cache's model folders, and no download left under way.
      const cache = join(state.dir, 'artifacts');
      const repo = readdirSync(cache)[0];
      for (const snapshot of readdirSync(join(cache, repo, 'digits')))
        assert.ok(!existsSync(join(cache, repo, 'digits', snapshot, '2')), 'no half-written version folder');
      assert.deepEqual(readdirSync(join(cache, repo, '.tmp')), [], 'the temporary download is removed');
      const text = await (await fetch(server.metricsUrl ?? '')).text();
      assert.match(text, /inferd_artifact_versions_total\{[^}]*outcome="failed"\} [1-9]/);
      // The store answers whole again: the next scan pulls and serves version 2.
      await server.inferd.pollRepository();
      await waitFor(
        async () => (await infer(digitsUrl(server.url), digitsBody(0))).version === '2',
        'version 2 serving after a complete pull',
      );
    } finally {
      await server.close();
      await proxy.close();
      src.cleanup();
      state.cleanup();
    }
  });
});

describe('store faults', () => {
  test('unreachable at start: not ready with the reason, retried with back-off, serving once it answers', async () => {
    const port = await freePort();
    const bucket = `late-${process.pid}`;
    const state = tempStateDir();
    const server = await startStoreServer({
      endpoint: `http://127.0.0.1:${port}`,
      bucket,
      stateDir: state.dir,
      config: { artifact_store: { endpoint: `http://127.0.0.1:${port}`, start_retry_max_ms: 1000, max_attempts: 1 } },
    });
    const late = await OwnS3.startOn(port);
    try {
      const r = await readiness(server);
      assert.equal(r.status, 400);
      assert.match(r.body, /cannot reach the artefact store/);
      assert.match(r.body, new RegExp(`s3://${bucket}/prod`));
      await late.createBucketAndUpload(bucket, 'prod/digits', join(MODELS_DIR, 'digits'));
      await waitFor(async () => (await readiness(server)).status === 200, 'ready once the store answers');
      assert.equal((await infer(digitsUrl(server.url), digitsBody(0))).status, 200);
    } finally {
      await server.close();
      await late.stop();
      state.cleanup();
    }
  });

  test('wrong credentials: the message names the bucket and the credential source, never the secret', async () => {
    const bucket = await newBucket(s3);
    await uploadTree(s3.client(), bucket, 'prod/digits', join(MODELS_DIR, 'digits'));
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'NOSUCHKEY';
    process.env.AWS_SECRET_ACCESS_KEY = 'very-secret-value-42';
    const state = tempStateDir();
    const logs: string[] = [];
    try {
      const server = await startStoreServer({ endpoint: s3.endpoint, bucket, stateDir: state.dir, logs });
      try {
        const r = await readiness(server);
        assert.equal(r.status, 400);
        assert.match(r.body, new RegExp(`bucket '${bucket}'`));
        assert.match(r.body, /refused the credentials/);
        assert.match(r.body, /AWS_ACCESS_KEY_ID=NOSU/);
        assert.ok(!r.body.includes('very-secret-value-42') && !logs.join('').includes('very-secret-value-42'));
      } finally {
        await server.close();
      }
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      state.cleanup();
    }
  });
});

describe('throttling and several repositories', () => {
  test('503 SlowDown is retried with back-off: the start and a later pull go through', async () => {
    const bucket = await newBucket(s3);
    await uploadTree(s3.client(), bucket, 'prod/digits', join(MODELS_DIR, 'digits'));
    const proxy = await ThrottlingProxy.start(() => s3.port);
    const state = tempStateDir();
    proxy.throttle(2); // the listing at start and its first retry
    const server = await startStoreServer({
      endpoint: proxy.endpoint,
      bucket,
      stateDir: state.dir,
      config: { model_control_mode: 'poll', artifact_store: { endpoint: proxy.endpoint, max_attempts: 4 } },
    });
    try {
      assert.equal(proxy.throttled, 2);
      assert.equal((await readiness(server)).status, 200);
      assert.equal((await infer(digitsUrl(server.url), digitsBody(0))).status, 200);
      // A new version pulled while the store throttles: its listing and object reads are retried too.
      await uploadTree(s3.client(), bucket, 'prod/digits/2', join(MODELS_DIR, 'digits', '1'));
      proxy.throttle(3);
      await server.inferd.pollRepository();
      await waitFor(
        async () => (await infer(digitsUrl(server.url), digitsBody(0))).version === '2',
        'version 2 pulled through throttling',
      );
      assert.equal(proxy.throttled, 5);
    } finally {
      await server.close();
      await proxy.close();
      state.cleanup();
    }
  });

  test('a folder and a bucket served side by side; a model in both is refused, naming both', async () => {
    const bucket = await newBucket(s3);
    await uploadTree(s3.client(), bucket, 'prod/digits', join(MODELS_DIR, 'digits'));
    await uploadTree(s3.client(), bucket, 'prod/breast_cancer', join(MODELS_DIR, 'breast_cancer'));
    const local = await tempRepository({ breast_cancer: { onnx: 'models/breast_cancer/1/model.onnx' } });
    const state = tempStateDir();
    const server = await startStoreServer({
      endpoint: s3.endpoint,
      bucket,
      stateDir: state.dir,
      config: { model_repositories: [local.dir] },
    });
    try {
      assert.equal((await infer(digitsUrl(server.url), digitsBody(0))).status, 200);
      const rows = await index(server);
      const bc = rows.find((e) => e.name === 'breast_cancer');
      assert.ok(bc && bc.state === 'UNAVAILABLE', JSON.stringify(rows));
      assert.match(bc.reason ?? '', /more than one model repository/);
      assert.match(bc.reason ?? '', new RegExp(`s3://${bucket}/prod`));
    } finally {
      await server.close();
      await local.cleanup();
      state.cleanup();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
