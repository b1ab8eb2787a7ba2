/**
 * Shared set-up for the security tests: a temporary folder with an API keys file and a JWKS file, JWTs signed
 * with the matching private key, and a server (digits only, explicit mode) with auth on.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { RunningServer } from '../../src/index.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import { ROOT, startTestServer, type ServerConfigFields } from '../helpers/server.js';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'inferd';
export const DIGITS_REQUEST = readFileSync(join(ROOT, 'examples', 'digits-request.json'), 'utf8');

/** The keys the tests present, by role. */
export const KEYS = {
  ops: 'ops-key-0123456789',
  web: 'web-key-0123456789',
  limited: 'limited-key-0123456789',
  rotated: 'rotated-key-0123456789',
} as const;

export function keysFile(
  entries: ReadonlyArray<{ name: string; key: string; scopes: string[]; rate?: string }>,
): string {
  const lines = entries.map(
    (e) =>
      `  - {name: ${e.name}, tenant: acme, sha256: ${hashApiKey(e.key)}, scopes: [${e.scopes.map((s) => `'${s}'`).join(', ')}]${e.rate ? `, rate_limit: ${e.rate}` : ''}}`,
  );
  return `keys:\n${lines.join('\n')}\n`;
}

/** The 'limited' key's rate: one token per 1000 s, so no token comes back during a test, however slow the machine. */
export const LIMITED_RATE = 0.001;

export const INITIAL_KEYS = keysFile([
  { name: 'ops', key: KEYS.ops, scopes: ['admin', 'infer:*'] },
  { name: 'web', key: KEYS.web, scopes: ['infer:digits'] },
  {
    name: 'limited',
    key: KEYS.limited,
    scopes: ['infer:digits'],
    rate: `{requests_per_second: ${LIMITED_RATE}, burst: 2}`,
  },
]);

/**
 * Retry-After (seconds) for the 'limited' key once its burst is spent `elapsedMs` after the burst began: one token
 * takes 1/LIMITED_RATE s to come back, less the time the burst's requests took (a loaded machine may take long).
 * Returns the range [lowest, highest] the server may answer.
 */
export function limitedRetryAfter(elapsedMs: number): [number, number] {
  const full = 1 / LIMITED_RATE;
  return [Math.max(1, Math.ceil(full - elapsedMs / 1000)), full];
}

export interface SecureServer {
  readonly server: RunningServer;
  readonly dir: string;
  readonly keysPath: string;
  /** Everything the server logged (debug and up). */
  readonly logs: string[];
  /** A JWT from the test issuer; `claims` and `expiresIn`/`audience` override the defaults. */
  token(options?: {
    scope?: string;
    audience?: string;
    expiresIn?: string | number | null;
    subject?: string;
  }): Promise<string>;
  stop(): Promise<void>;
}

/** Starts digits with API keys (polled every 50 ms) and the test JWT issuer. */
export async function startSecureServer(
  options: { requireExp?: boolean; audit?: boolean; grpc?: boolean } = {},
): Promise<SecureServer> {
  const dir = await mkdtemp(join(tmpdir(), 'inferd-security-'));
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-1', alg: 'ES256' };
  await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
  const keysPath = join(dir, 'keys.yaml');
  await writeFile(keysPath, INITIAL_KEYS);
  const config: ServerConfigFields = {
    model_control_mode: 'explicit',
    load_models: ['digits'],
    auth: {
      enabled: true,
      api_keys_file: keysPath,
      api_keys_poll_ms: 50,
      jwt: {
        issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks_file: join(dir, 'jwks.json'), name: 'test-idp' }],
        ...(options.requireExp === undefined ? {} : { require_exp: options.requireExp }),
      },
    },
    ...(options.audit ? { audit: { enabled: true, store: 'sqlite' as const, path: join(dir, 'audit.db') } } : {}),
    ...(options.grpc ? { grpc_port: 0 } : {}),
    limits: { max_json_depth: 16, max_inputs: 4 },
  };
  const logs: string[] = [];
  const server = await startTestServer({ config, logs, logLevel: 'debug' });
  return {
    server,
    dir,
    keysPath,
    logs,
    token: (o = {}) => sign(privateKey, o),
    stop: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function sign(
  key: CryptoKey,
  o: { scope?: string; audience?: string; expiresIn?: string | number | null; subject?: string },
): Promise<string> {
  const jwt = new SignJWT({ scope: o.scope ?? 'infer:digits' })
    .setProtectedHeader({ alg: 'ES256', kid: 'test-1' })
    .setIssuer(ISSUER)
    .setSubject(o.subject ?? 'user-1')
    .setAudience(o.audience ?? AUDIENCE)
    .setIssuedAt(Math.floor(Date.now() / 1000) - 120);
  // null: a token without `exp` (one that never expires).
  return (o.expiresIn === null ? jwt : jwt.setExpirationTime(o.expiresIn ?? '5m')).sign(key);
}

/** Posts to a path with optional headers; never throws on a status. */
export async function post(
  base: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Replaces a file the way an operator's tooling should: write beside it, then rename over it (no half-written file is ever read). */
export async function replaceFile(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

/** The pino records in `logs` from index `from` on whose `msg` is `msg`. */
export function logRecords(logs: readonly string[], msg: string, from = 0): Array<Record<string, unknown>> {
  return logs
    .slice(from)
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes(msg))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((r) => r.msg === msg);
}
