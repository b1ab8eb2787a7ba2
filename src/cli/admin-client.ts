/**
 * The management commands' HTTP client: calls a running server's management API (`/v2/repository/...`,
 * `/v1/models/{m}/rollouts...`, `/v1/models/{m}/traffic`) with the credentials its auth hook expects (`x-api-key`,
 * or `Authorization: Bearer` for a token) over HTTP or HTTPS (a private CA, mutual TLS), and turns a refusal into
 * an error carrying the server's own message.
 */
import { adminClientEnv } from '../config/admin-client-env.js';
import {
  readTlsMaterial,
  sendHttp,
  unreachable,
  type HttpAnswer,
  type TlsFiles,
  type TlsMaterial,
} from './http-request.js';

export type { TlsFiles } from './http-request.js';

export const DEFAULT_URL = 'http://127.0.0.1:8000';

/** The options every management command takes, as parseArgs options. */
export const ADMIN_OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  token: { type: 'string' },
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const ADMIN_OPTIONS_HELP = `Connection (every command):
  --url URL        the server's HTTP address (default: $INFERD_URL or ${DEFAULT_URL}); https:// for TLS
  --api-key KEY    an API key with the 'admin' scope, sent as x-api-key (default: $INFERD_API_KEY)
  --token TOKEN    a JWT (or API key) sent as Authorization: Bearer (default: $INFERD_TOKEN)
  --cacert FILE    PEM certificate(s) of the CA that signed the server's certificate, for a private CA
                   (default: $INFERD_CACERT; otherwise the system's CAs)
  --cert FILE      PEM client certificate, for a server that requires one (mutual TLS; default: $INFERD_CERT)
  --key FILE       PEM private key of --cert (default: $INFERD_KEY)
  --json           print the server's JSON answer instead of text
  -h, --help       show this help`;

/** A refusal by the server (its status, message and error code) or a server that cannot be reached. */
export class AdminRequestError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when the server could not be reached. */
    readonly status?: number,
    /** The server's error code (docs/errors.md), or undefined when it sent none or was not reached. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'AdminRequestError';
  }
}

export interface AdminClientOptions {
  readonly url?: string | undefined;
  readonly apiKey?: string | undefined;
  readonly token?: string | undefined;
  /** TLS files; each unset one falls back to its environment variable. */
  readonly tls?: TlsFiles;
  /** Per request (default 10 minutes: loading a large model takes a while). */
  readonly timeoutMs?: number;
}

export class AdminClient {
  readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly tls: TlsMaterial;
  private readonly timeoutMs: number;

  constructor(o: AdminClientOptions) {
    const env = adminClientEnv();
    this.baseUrl = (o.url ?? env.url ?? DEFAULT_URL).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+/.test(this.baseUrl))
      throw new AdminRequestError(
        `--url must be an http:// or https:// address such as ${DEFAULT_URL}, got '${this.baseUrl}'`,
      );
    const token = o.token ?? env.token;
    const apiKey = o.apiKey ?? env.apiKey;
    this.headers = {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : apiKey ? { 'x-api-key': apiKey } : {}),
    };
    this.tls = readTlsMaterial({
      cacert: o.tls?.cacert ?? env.cacert,
      cert: o.tls?.cert ?? env.cert,
      key: o.tls?.key ?? env.key,
    });
    this.timeoutMs = o.timeoutMs ?? 600_000;
  }

  get(path: string): Promise<unknown> {
    return this.request('GET', path);
  }

  post(path: string, body?: unknown): Promise<unknown> {
    return this.request('POST', path, body ?? {});
  }

  /** Sends one request; resolves with the parsed JSON answer, rejects with AdminRequestError. */
  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: HttpAnswer;
    try {
      res = await sendHttp(`${this.baseUrl}${path}`, {
        method,
        headers: this.headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        tls: this.tls,
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      throw new AdminRequestError(unreachable(this.baseUrl, err, this.tls));
    }
    const json = parseJson(res.text);
    if (res.status < 200 || res.status > 299)
      throw new AdminRequestError(refusal(res.status, json, res.text), res.status, errorCodeOf(json));
    return json;
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The server's `{"error": "..."}` message, with a hint for the statuses a credential problem causes. */
/** The `code` of a server's error body, when it has one. */
function errorCodeOf(json: unknown): string | undefined {
  const code = (json as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function refusal(status: number, json: unknown, text: string): string {
  const error = (json as { error?: unknown } | undefined)?.error;
  const message = typeof error === 'string' ? error : text.slice(0, 300) || `HTTP ${status}`;
  const hint = status === 401 ? ' (pass --api-key KEY or --token TOKEN, or set INFERD_API_KEY)' : '';
  return `server answered ${status}: ${message}${hint}`;
}
