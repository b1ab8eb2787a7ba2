/**
 * JWT bearer tokens, verified with jose against the configured issuers: the token's `iss` picks the issuer, whose
 * JWKS (a local file, or a URL jose fetches and caches) must hold the signing key; `aud` must be one of the
 * issuer's audiences; `exp`/`nbf` are checked, and a token without `exp` is refused unless auth.jwt.require_exp is false. Scopes come from the `scope` claim (space-separated, OAuth 2) or `scp`.
 */
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { JwtIssuerConfig } from '../config/index.js';
import { ConfigError, UnauthenticatedError } from '../errors/index.js';
import type { Principal } from './principal.js';

interface Issuer {
  readonly config: JwtIssuerConfig;
  readonly keys: JWTVerifyGetKey;
}

function keySet(config: JwtIssuerConfig): JWTVerifyGetKey {
  if (config.jwksUrl) return createRemoteJWKSet(new URL(config.jwksUrl));
  try {
    return createLocalJWKSet(JSON.parse(readFileSync(config.jwksFile!, 'utf8')));
  } catch (err) {
    throw new ConfigError(
      `JWKS file ${config.jwksFile} of issuer ${config.issuer}: ${(err as Error).message}; it must be a JSON Web Key Set ({"keys": [...]})`,
      { cause: err },
    );
  }
}

function scopesOf(payload: JWTPayload): Set<string> {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return new Set(raw.split(' ').filter(Boolean));
  return new Set(Array.isArray(raw) ? raw.filter((s): s is string => typeof s === 'string') : []);
}

/** Why jose refused the token, said so the caller knows what to fix (jose's codes are stable). */
function refusal(err: unknown): UnauthenticatedError {
  const e = err as { code?: string; claim?: string; message?: string };
  if (e.code === 'ERR_JWT_EXPIRED')
    return new UnauthenticatedError('the bearer token has expired; get a new one from its issuer');
  if (e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && e.claim === 'exp') {
    return new UnauthenticatedError(
      `the bearer token has no 'exp' claim, so it would never expire; ask its issuer for a token with an expiry (or set auth.jwt.require_exp: false on the server)`,
    );
  }
  if (e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED')
    return new UnauthenticatedError(
      `the bearer token's '${e.claim}' claim is not accepted here (${e.message}); ask for a token for this audience`,
    );
  return new UnauthenticatedError(
    `the bearer token could not be verified (${e.message ?? String(err)}); send a token signed by a configured issuer`,
  );
}

export class JwtVerifier {
  private readonly issuers: ReadonlyMap<string, Issuer>;

  /** `requireExp`: refuse tokens without an `exp` claim (auth.jwt.require_exp). */
  constructor(
    configs: readonly JwtIssuerConfig[],
    private readonly requireExp = true,
  ) {
    this.issuers = new Map(configs.map((c) => [c.issuer, { config: c, keys: keySet(c) }]));
  }

  /** The principal a valid token names; throws UnauthenticatedError with the reason otherwise. */
  async verify(token: string): Promise<Principal> {
    const issuer = this.issuers.get(this.unverifiedIssuer(token));
    if (!issuer)
      throw new UnauthenticatedError(
        `the bearer token's issuer is not trusted here; use a token from one of the configured issuers`,
      );
    const { config } = issuer;
    const { payload } = await jwtVerify(token, issuer.keys, {
      issuer: config.issuer,
      audience: [...config.audience],
      requiredClaims: this.requireExp ? ['exp'] : [],
    }).catch((err: unknown) => {
      throw refusal(err);
    });
    if (typeof payload.sub !== 'string')
      throw new UnauthenticatedError(`the bearer token has no 'sub' claim; the issuer must name the caller`);
    const tenant = typeof payload.tenant === 'string' ? payload.tenant : config.name;
    return {
      id: `jwt:${config.name}:${payload.sub}`,
      keyClass: config.name,
      tenant,
      scopes: scopesOf(payload),
      rateLimit: config.rateLimit,
    };
  }

  private unverifiedIssuer(token: string): string {
    try {
      return decodeJwt(token).iss ?? '';
    } catch {
      throw new UnauthenticatedError(
        'the bearer token is not a well-formed JWT; send an API key or a JWT from a configured issuer',
      );
    }
  }
}
