/**
 * One S3-compatible repository through the AWS SDK: its objects listed (every page), one object streamed to a file.
 * Throttling (503 SlowDown) and network errors are retried by the SDK's standard retry strategy (back-off with
 * jitter, `max_attempts`); what still fails becomes an ArtifactStoreError naming the bucket.
 */
import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { ArtifactStoreConfig, StoreLocation } from '../config/artifact-store-config.js';
import { describeStoreError } from './store-errors.js';

/** An object under the repository's prefix. */
export interface StoreObject {
  /** Its key below the prefix, '/'-separated (e.g. `digits/1/model.onnx`). */
  readonly path: string;
  readonly etag: string;
  readonly size: number;
}

export class S3Store {
  private readonly client: S3Client;

  constructor(
    readonly location: StoreLocation,
    private readonly config: ArtifactStoreConfig,
  ) {
    this.client = new S3Client({
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.region ? { region: config.region } : {}),
      forcePathStyle: config.forcePathStyle,
      maxAttempts: config.maxAttempts,
      retryMode: 'standard',
      // The integrity policy checks content (sha256 manifests); sizes and ETags are checked here. Not every
      // S3-compatible store answers the SDK's newer checksum headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Where messages say the store is. */
  get endpoint(): string {
    return this.config.endpoint ?? 'AWS S3';
  }

  private keyOf(path: string): string {
    return this.location.prefix ? `${this.location.prefix}/${path}` : path;
  }

  /** Every object under the prefix (all pages), or an ArtifactStoreError. */
  async list(): Promise<StoreObject[]> {
    const base = this.location.prefix ? `${this.location.prefix}/` : '';
    const out: StoreObject[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: base, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          if (!o.Key || o.Key.endsWith('/')) continue; // folder markers some tools write
          out.push({ path: o.Key.slice(base.length), etag: o.ETag ?? '', size: o.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.failure(err, 'list');
    }
    return out;
  }

  /**
   * Streams one object to `file` (created; never read whole into memory), telling `onBytes` as chunks arrive.
   * Rejects when the store fails, the object changed since it was listed (ETag) or fewer bytes arrived.
   */
  async download(object: StoreObject, file: string, onBytes: (n: number) => void): Promise<void> {
    let written = 0;
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: this.keyOf(object.path) }),
      );
      if (res.ETag && object.etag && res.ETag !== object.etag)
        throw new Error(`${object.path} changed while it was being pulled (ETag ${res.ETag}, listed ${object.etag})`);
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          written += chunk.length;
          onBytes(chunk.length);
          done(null, chunk);
        },
      });
      await pipeline(res.Body as Readable, count, createWriteStream(file, { flags: 'wx' }));
    } catch (err) {
      throw this.failure(err, `read ${object.path}`);
    }
    if (written !== object.size)
      throw this.failure(new Error(`${written} of ${object.size} bytes arrived`), `read ${object.path}`);
  }

  private failure(err: unknown, action: string) {
    return describeStoreError(err, {
      url: this.location.url,
      bucket: this.location.bucket,
      endpoint: this.endpoint,
      action,
      credentialSource: this.config.credentialSource,
    });
  }

  close(): void {
    this.client.destroy();
  }
}
