/**
 * What a failed store request means to an operator. The SDK's errors carry a name (the S3 error code), an HTTP
 * status and, for network failures, a Node error code; each kind gets a message that says what to do. Messages
 * name the bucket, the endpoint and the credential source, never a secret.
 */
import { ArtifactStoreError, type StoreProblem } from './artifact-store-error.js';

export interface StoreErrorContext {
  readonly url: string;
  readonly bucket: string;
  readonly endpoint: string;
  /** What was being done: 'list', 'read digits/1/model.onnx'. */
  readonly action: string;
  readonly credentialSource: string;
}

const CREDENTIAL_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
  'TokenRefreshRequired',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

interface SdkLikeError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly cause?: unknown;
}

/** The Node error code of a failure or of one of its causes (the SDK wraps socket errors). */
function networkCode(err: SdkLikeError | undefined, depth = 0): string | undefined {
  if (!err || depth > 4) return undefined;
  if (err.code && NETWORK_CODES.has(err.code)) return err.code;
  if (err.name === 'TimeoutError') return 'ETIMEDOUT';
  return networkCode(err.cause as SdkLikeError | undefined, depth + 1);
}

function classify(err: SdkLikeError): StoreProblem {
  const status = err.$metadata?.httpStatusCode;
  if (err.name && CREDENTIAL_ERRORS.has(err.name)) return 'credentials';
  if (status === 401 || status === 403) return 'credentials';
  if (err.name === 'NoSuchBucket') return 'no_bucket';
  if (err.name === 'SlowDown' || err.name === 'ThrottlingException' || status === 503) return 'throttled';
  if (networkCode(err)) return 'unreachable';
  return 'failed';
}

/** An ArtifactStoreError saying what failed, where, and what to do. */
export function describeStoreError(err: unknown, ctx: StoreErrorContext): ArtifactStoreError {
  if (err instanceof ArtifactStoreError) return err;
  const e = (err ?? {}) as SdkLikeError;
  const problem = classify(e);
  const what = `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${(e.message ?? String(err)).slice(0, 300)}`;
  const where = `${ctx.url} (bucket '${ctx.bucket}' at ${ctx.endpoint})`;
  const message = {
    credentials: `the artefact store refused the credentials for ${where} (${what}); they came from ${ctx.credentialSource}: give that identity read access (s3:ListBucket, s3:GetObject) to the bucket, or fix the credentials there`,
    no_bucket: `the bucket '${ctx.bucket}' does not exist at ${ctx.endpoint} (${ctx.url}): check the bucket name in --model-repository, and artifact_store.endpoint`,
    unreachable: `cannot reach the artefact store for ${where}: ${networkCode(e) ?? what}; check artifact_store.endpoint and the network (retried with back-off)`,
    throttled: `the artefact store is throttling requests for ${where} (${what}) after ${ctx.action} was retried; retried later`,
    failed: `cannot ${ctx.action} in ${where}: ${what}`,
  }[problem];
  return new ArtifactStoreError(problem, message, { cause: err });
}
