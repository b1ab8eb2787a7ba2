/**
 * Who is calling: the identity an API key or a JWT resolves to, and what the transports hand the gate.
 */
import type { RateLimit } from '../config/index.js';

export interface Principal {
  /** Unique per caller; the rate-limit bucket key (`key:<name>` or `jwt:<issuer>:<sub>`). Never a raw credential. */
  readonly id: string;
  /** A bounded label for metrics: the API key's configured name, or the JWT issuer's name. */
  readonly keyClass: string;
  readonly tenant: string;
  readonly scopes: ReadonlySet<string>;
  /** The caller's own limit; undefined: unlimited. */
  readonly rateLimit?: RateLimit | undefined;
}

/** What a request asks to do: open (health), read (metadata, index, statistics), infer on a model, or admin. */
export type Action = 'open' | 'read' | 'infer' | 'admin';

/** The credentials as they came: the `authorization` header/metadata and `x-api-key`. */
export interface Credentials {
  readonly authorization?: string | undefined;
  readonly apiKey?: string | undefined;
}
