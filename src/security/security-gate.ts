/**
 * The one check both front ends run before a request does anything: authenticate (API key or JWT), authorize
 * (scopes), then rate-limit (the caller's bucket, then the model's). Transports only say what the request is.
 */
import type { AuthConfig } from '../config/index.js';
import { InferenceError, PermissionDeniedError, RateLimitedError, UnauthenticatedError } from '../errors/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { SecurityMetrics } from '../telemetry/security-metrics.js';
import { ApiKeyStore } from './api-keys.js';
import { authorize } from './authorize.js';
import type { JwtVerifier } from './jwt-verifier.js';
import type { Action, Credentials, Principal } from './principal.js';
import { MemoryRateStore, type RateStore } from './rate-store.js';

/** What a request asks for, as a transport describes it. */
export interface AccessRequest {
  readonly credentials: Credentials;
  readonly action: Action;
  /** The model, for `infer` (and for per-model limits). */
  readonly model?: string | undefined;
}

export interface SecurityGateOptions {
  readonly auth: AuthConfig;
  readonly metrics: SecurityMetrics;
  readonly logger: Logger;
  /** Monotonic milliseconds for the in-memory rate limiter (tests inject one). */
  readonly now?: () => number;
  /** Where buckets live (limits.rate_store); default: this process's memory. The caller starts and stops it. */
  readonly rateStore?: RateStore;
}

/** Stands in for the caller when auth is off: every scope, no limit of its own. */
const ANONYMOUS: Principal = {
  id: 'anonymous',
  keyClass: 'anonymous',
  tenant: 'anonymous',
  scopes: new Set(['admin', 'infer:*', 'metrics']),
};

export class SecurityGate {
  private readonly keys?: ApiKeyStore;
  private readonly jwt?: JwtVerifier;
  private readonly limiter: RateStore;

  /** Builds the gate. JWT verification (jose) is loaded only when JWT issuers are configured. */
  static async create(options: SecurityGateOptions): Promise<SecurityGate> {
    const { auth } = options;
    const verifier = auth.enabled && auth.jwtIssuers.length > 0 ? await import('./jwt-verifier.js') : undefined;
    return new SecurityGate(options, verifier?.JwtVerifier);
  }

  private constructor(
    private readonly options: SecurityGateOptions,
    Verifier: typeof JwtVerifier | undefined,
  ) {
    const { auth, logger } = options;
    if (auth.enabled && auth.apiKeysFile) this.keys = new ApiKeyStore(auth.apiKeysFile, logger, auth.apiKeysPollMs);
    if (Verifier) this.jwt = new Verifier(auth.jwtIssuers, auth.jwtRequireExp);
    this.limiter = options.rateStore ?? new MemoryRateStore(options.now);
    this.admitsEveryone = !auth.enabled && Object.keys(auth.modelLimits).length === 0;
    this.authenticates = auth.enabled;
  }

  /** True when auth is on: check() resolves with the caller's verified principal, not a stand-in. */
  readonly authenticates: boolean;

  /** True when auth is off and no model has a rate limit: check() can refuse no one. Fixed by the config. */
  readonly admitsEveryone: boolean;

  /** Follows the API keys file. */
  start(): void {
    this.keys?.start();
  }

  stop(): void {
    this.keys?.stop();
  }

  /** Resolves with the caller, or throws UNAUTHENTICATED, PERMISSION_DENIED or RATE_LIMITED. */
  async check(request: AccessRequest): Promise<Principal | undefined> {
    if (request.action === 'open') return undefined;
    try {
      const principal = this.options.auth.enabled ? await this.authenticate(request.credentials) : ANONYMOUS;
      this.authorize(principal, request);
      await this.rateLimit(principal, request);
      return principal;
    } catch (err) {
      this.count(err);
      throw err;
    }
  }

  /**
   * Checks the credentials alone (no scope, no rate limit), for a transport that can refuse a caller before it
   * reads the request (gRPC, whose model is inside the message). Throws UNAUTHENTICATED (counted); check() follows.
   */
  async checkCredentials(credentials: Credentials): Promise<void> {
    if (!this.options.auth.enabled) return;
    try {
      await this.authenticate(credentials);
    } catch (err) {
      this.count(err);
      throw err;
    }
  }

  private async authenticate({ authorization, apiKey }: Credentials): Promise<Principal> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (authorization !== undefined && bearer === undefined) {
      throw new UnauthenticatedError(`the Authorization header must be 'Bearer <API key or JWT>'`);
    }
    const token = bearer ?? apiKey;
    if (token === undefined)
      throw new UnauthenticatedError(
        'no credentials: send Authorization: Bearer <API key or JWT>, or x-api-key: <API key>',
      );
    if (this.jwt && bearer !== undefined && looksLikeJwt(bearer)) return this.jwt.verify(bearer);
    const principal = this.keys?.lookup(token);
    if (!principal)
      throw new UnauthenticatedError(
        'the API key is not valid (unknown, revoked or mistyped); check the key you were given',
      );
    return principal;
  }

  private authorize(principal: Principal, { action, model }: AccessRequest): void {
    const missing = authorize(principal, action, model);
    if (missing === undefined) return;
    const what = action === 'infer' ? `inference on model '${model}'` : 'this administrative action';
    throw new PermissionDeniedError(
      `the credentials of '${principal.keyClass}' lack the scope '${missing}' needed for ${what}; ask for a key or token with that scope`,
      missing,
    );
  }

  private async rateLimit(principal: Principal, { action, model }: AccessRequest): Promise<void> {
    if (principal.rateLimit) await this.take(principal.id, principal, 'key', `'${principal.keyClass}'`);
    const modelLimit = action === 'infer' && model !== undefined ? this.options.auth.modelLimits[model] : undefined;
    if (modelLimit)
      await this.take(`model:${model}`, { ...principal, rateLimit: modelLimit }, 'model', `model '${model}'`);
  }

  private async take(bucket: string, principal: Principal, limit: 'key' | 'model', who: string): Promise<void> {
    const wait = await this.limiter.take({
      bucket,
      limit: principal.rateLimit!,
      keyClass: principal.keyClass,
      kind: limit,
    });
    if (wait === 0) return;
    this.options.metrics.rateLimited.inc({ key_class: principal.keyClass, limit });
    const { requestsPerSecond, burst } = principal.rateLimit!;
    throw new RateLimitedError(
      `rate limit of ${who} exceeded (${requestsPerSecond} requests/s, burst ${burst}); retry after ${wait} s or slow down`,
      wait,
    );
  }

  private count(err: unknown): void {
    if (!(err instanceof InferenceError)) return;
    if (err.code === 'UNAUTHENTICATED') this.options.metrics.authRefused.inc({ reason: 'unauthenticated' });
    if (err.code === 'PERMISSION_DENIED') this.options.metrics.authRefused.inc({ reason: 'permission_denied' });
  }
}

/** A JWT has three base64url parts separated by dots; API keys should not look like that. */
function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}
