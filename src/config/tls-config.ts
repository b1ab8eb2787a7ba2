/**
 * The `tls:` section of the server config: certificate and key files for HTTPS and gRPC over TLS, an optional CA
 * for client certificates (mutual TLS), and how often the files are checked for a rotated certificate.
 * README "TLS" describes it. The files themselves are read and checked by security/tls-material.ts.
 */
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';

export const tlsConfigSchema = z.strictObject({
  /** PEM certificate (chain) the server presents. */
  cert_file: z.string().min(1),
  /** PEM private key of that certificate. */
  key_file: z.string().min(1),
  /** PEM CA certificate(s) that sign client certificates; needed when client_auth is request or require. */
  ca_file: z.string().min(1).optional(),
  /** none: no client certificate; request: asked for, not required; require: mutual TLS, refused without one. */
  client_auth: z.enum(['none', 'request', 'require']).default('none'),
  /** How often the files are checked for a new certificate, in seconds; 0: never (SIGHUP still re-reads). */
  reload_secs: z.number().min(0).default(30),
  /** Serve the Prometheus port over TLS too (default: plain HTTP). */
  metrics: z.boolean().default(false),
});

export type ClientAuth = 'none' | 'request' | 'require';

export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile?: string | undefined;
  readonly clientAuth: ClientAuth;
  /** 0: no polling. */
  readonly reloadMs: number;
  readonly metrics: boolean;
}

/** The frozen TLS config. Client certificates can only be checked against a CA, so request/require need ca_file. */
export function toTlsConfig(c: z.infer<typeof tlsConfigSchema> | undefined): TlsConfig | undefined {
  if (!c) return undefined;
  if (c.client_auth !== 'none' && c.ca_file === undefined) {
    throw new ConfigError(
      `tls.client_auth '${c.client_auth}' checks client certificates against a CA: set tls.ca_file (flag --tls-ca FILE) to the CA that signs them`,
    );
  }
  return Object.freeze({
    certFile: c.cert_file,
    keyFile: c.key_file,
    caFile: c.ca_file,
    clientAuth: c.client_auth,
    reloadMs: Math.round(c.reload_secs * 1000),
    metrics: c.metrics,
  });
}
