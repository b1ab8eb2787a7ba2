/**
 * An S3-compatible server of the test's own (s3rver, from npm) on 127.0.0.1, in a child process so a test can kill
 * it and start it again on the same port with the same data. It runs with `--openssl-legacy-provider`: s3rver's
 * continuation tokens use DES, which OpenSSL 3 refuses otherwise (paged listings would answer 500). s3rver checks
 * the access key but not the SigV4 signature, so wrong credentials are an unknown access key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

/** s3rver's built-in account. */
export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

const S3RVER_BIN = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');

export class OwnS3 {
  private child: ChildProcess | undefined;
  private constructor(
    readonly dataDir: string,
    private portNumber: number,
  ) {}

  /** Starts a server on a free port (or `port`) with an empty data folder. */
  static async start(): Promise<OwnS3> {
    return OwnS3.startOn(0);
  }

  static async startOn(port: number): Promise<OwnS3> {
    const s3 = new OwnS3(await mkdtemp(join(tmpdir(), 'inferd-s3-')), port);
    await s3.restart();
    return s3;
  }

  /** Creates a bucket and uploads a folder under `prefix`. */
  async createBucketAndUpload(bucket: string, prefix: string, dir: string): Promise<void> {
    await createBucket(this.client(), bucket);
    await uploadTree(this.client(), bucket, prefix, dir);
  }

  get port(): number {
    return this.portNumber;
  }

  /** An IP endpoint: the SDK addresses buckets path-style by itself. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  /** A client for the test's own uploads (checksums only when required: s3rver predates aws-chunked uploads). */
  client(): S3Client {
    return new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** (Re)starts the server on its port (a free one the first time) and waits for its "listening" line. */
  async restart(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        '--openssl-legacy-provider',
        S3RVER_BIN,
        '--address',
        '127.0.0.1',
        '--port',
        String(this.portNumber),
        '--directory',
        this.dataDir,
        '--silent',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let output = '';
    this.portNumber = await new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /listening on .*:(\d+)/i.exec(output) ?? /:(\d+)\s*$/m.exec(output);
        if (m) resolve(Number(m[1]));
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      child.once('exit', (code, signal) =>
        reject(new Error(`s3rver exited (${code ?? signal}) before it listened: ${output.slice(0, 2000)}`)),
      );
    });
  }

  /** SIGKILLs the server and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** Creates a bucket. */
export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Uploads every file under `dir` to `s3://bucket/prefix/<relative path>`. */
export async function uploadTree(client: S3Client, bucket: string, prefix: string, dir: string): Promise<void> {
  for (const file of await filesUnder(dir)) {
    const key = `${prefix}/${relative(dir, file).split(sep).join('/')}`.replace(/^\/+/, '');
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file) }));
  }
}

/** Deletes every object under `prefix/`. */
export async function deletePrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(path)));
    else if ((await stat(path)).isFile()) out.push(path);
  }
  return out.sort();
}
