/**
 * Model repositories in an S3-compatible artefact store (`s3://bucket/prefix`): how the store is reached, and how
 * inferd pulls from it (README "Models from an artefact store"). Credentials are never configured here: they come
 * from the AWS SDK's default chain (environment, shared files, web identity for Kubernetes service accounts,
 * container and instance metadata), and this file only names which one applies, for messages.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';

export const artifactStoreConfigSchema = z.strictObject({
  /** The store's URL (MinIO, Ceph, GCS interoperability); absent: AWS S3 (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL). */
  endpoint: z.string().url().optional(),
  /** Absent: the SDK's chain (AWS_REGION, the shared config file), else us-east-1. */
  region: z.string().min(1).optional(),
  /** `<endpoint>/<bucket>/key` instead of `<bucket>.<endpoint>/key` (most self-hosted stores want it). */
  force_path_style: z.boolean().default(false),
  /** Objects downloaded at once, across every model. */
  max_concurrent_downloads: z.number().int().min(1).max(64).default(4),
  /** At most one listing of a repository per interval: poll scans and loads within it share the last one. */
  list_interval_ms: z.number().int().min(0).default(1000),
  /** Attempts per request, throttling (503 SlowDown) and network errors retried with the SDK's back-off. */
  max_attempts: z.number().int().min(1).max(20).default(5),
  /** Unreachable at start: retried with back-off doubling from 1 s up to this. */
  start_retry_max_ms: z.number().int().min(100).default(30_000),
  /** Where pulled versions are kept. Default: `<state_dir>/artifacts`. */
  cache_dir: z.string().min(1).optional(),
});

export type ArtifactStoreConfigFile = z.input<typeof artifactStoreConfigSchema>;

export interface ArtifactStoreConfig {
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  readonly forcePathStyle: boolean;
  readonly maxConcurrentDownloads: number;
  readonly listIntervalMs: number;
  readonly maxAttempts: number;
  readonly startRetryMaxMs: number;
  /** Absolute path of the download cache. */
  readonly cacheDir: string;
  /** Where the SDK's chain will find credentials, as messages name it (never a secret). */
  readonly credentialSource: string;
}

/** An `s3://bucket/prefix` repository: the bucket, and the prefix without slashes at either end ('' for the root). */
export interface StoreLocation {
  readonly url: string;
  readonly bucket: string;
  readonly prefix: string;
}

/** True for a repository given as a store URL rather than a folder. */
export function isStoreUrl(repository: string): boolean {
  return /^s3:\/\//i.test(repository);
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket[/prefix]`; a ConfigError saying what a valid one looks like otherwise. */
export function parseStoreUrl(url: string): StoreLocation {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
  const bucket = m?.[1] ?? '';
  if (!BUCKET.test(bucket))
    throw new ConfigError(
      `model repository '${url.slice(0, 200)}': not a valid S3 location; write s3://<bucket>/<prefix> with a bucket name of 3 to 63 lower-case letters, digits, '.' and '-' (e.g. s3://models/prod)`,
    );
  const prefix = (m?.[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((part) => part === '.' || part === '..'))
    throw new ConfigError(`model repository '${url.slice(0, 200)}': the prefix may not contain '.' or '..' parts`);
  return { url: `s3://${bucket}${prefix ? `/${prefix}` : ''}`, bucket, prefix };
}

/** Which source of the SDK's default chain holds the credentials, read from the environment it will read. */
export function credentialSource(env: NodeJS.ProcessEnv): string {
  if (env.AWS_ACCESS_KEY_ID) return `the environment (AWS_ACCESS_KEY_ID=${env.AWS_ACCESS_KEY_ID.slice(0, 4)}…)`;
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE)
    return `web identity (AWS_WEB_IDENTITY_TOKEN_FILE, role ${env.AWS_ROLE_ARN ?? 'AWS_ROLE_ARN unset'})`;
  if (env.AWS_PROFILE) return `the shared config files, profile '${env.AWS_PROFILE}'`;
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)
    return 'the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*)';
  return 'the AWS SDK default chain (shared config files ~/.aws, then instance metadata)';
}

export function toArtifactStoreConfig(
  c: z.output<typeof artifactStoreConfigSchema>,
  stateDir: string,
  env: NodeJS.ProcessEnv = process.env,
): ArtifactStoreConfig {
  return Object.freeze({
    endpoint: c.endpoint,
    // The SDK reads AWS_REGION and the shared config file itself; a store that ignores regions still needs one.
    region: c.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || env.AWS_PROFILE ? undefined : 'us-east-1'),
    forcePathStyle: c.force_path_style,
    maxConcurrentDownloads: c.max_concurrent_downloads,
    listIntervalMs: c.list_interval_ms,
    maxAttempts: c.max_attempts,
    startRetryMaxMs: c.start_retry_max_ms,
    cacheDir: c.cache_dir === undefined ? join(stateDir, 'artifacts') : resolve(c.cache_dir),
    credentialSource: credentialSource(env),
  });
}
