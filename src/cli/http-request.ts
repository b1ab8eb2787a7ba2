/**
 * One HTTP(S) request from the command line, with the TLS material curl's --cacert, --cert and --key name: a
 * server whose certificate a private CA signed, and mutual TLS. (node's fetch cannot take a CA or a client
 * certificate without an extra package, so this uses node:http and node:https.)
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UsageError } from './command-args.js';

/** Paths of the TLS files, as given by flags or environment variables. */
export interface TlsFiles {
  readonly cacert?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

/** The files' contents, ready for node:https. */
export interface TlsMaterial {
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
}

/** Where a setting came from, for messages: the flag and its environment variable. */
const SOURCES = {
  cacert: '--cacert (INFERD_CACERT)',
  cert: '--cert (INFERD_CERT)',
  key: '--key (INFERD_KEY)',
} as const;

function readPem(path: string | undefined, setting: keyof typeof SOURCES): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(
      `cannot read ${SOURCES[setting]} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Reads the TLS files; a client certificate needs its key and the other way round. */
export function readTlsMaterial(files: TlsFiles): TlsMaterial {
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new UsageError(
      `${files.cert === undefined ? '--key' : '--cert'} needs ${files.cert === undefined ? '--cert' : '--key'}: a client certificate (PEM) and its private key go together`,
    );
  }
  return { ca: readPem(files.cacert, 'cacert'), cert: readPem(files.cert, 'cert'), key: readPem(files.key, 'key') };
}

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
}

export interface HttpRequestOptions {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  readonly tls: TlsMaterial;
  readonly timeoutMs: number;
}

/** Sends one request and reads the whole answer; rejects with node's error when there is no answer. */
export function sendHttp(url: string, o: HttpRequestOptions): Promise<HttpAnswer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const tls = target.protocol === 'https:' ? o.tls : {};
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: o.method, headers: o.headers, agent: false, signal: AbortSignal.timeout(o.timeoutMs), ...tls },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** What to do about a TLS failure, by node's error code; undefined for one that is not about certificates. */
function tlsAdvice(code: string, tls: TlsMaterial): string | undefined {
  if (UNTRUSTED.has(code))
    return "its certificate is not signed by a CA this client trusts; pass the CA's certificate with --cacert FILE (or INFERD_CACERT)";
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return 'its certificate does not name that host; use a host name or address the certificate names in --url';
  if (/CERTIFICATE_REQUIRED/.test(code))
    return 'the server requires a client certificate (mutual TLS); pass --cert FILE --key FILE (or INFERD_CERT, INFERD_KEY)';
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR)/.test(code)) {
    return tls.cert
      ? 'the server refused the client certificate given with --cert: it is not signed by a CA the server trusts'
      : 'the server wants a client certificate; pass --cert FILE --key FILE (or INFERD_CERT, INFERD_KEY)';
  }
  return undefined;
}

/** Why a request got no answer, with what to do about it. */
export function unreachable(baseUrl: string, err: unknown, tls: TlsMaterial): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e.code ?? e.name;
  if (e.name === 'TimeoutError' || code === 'ABORT_ERR')
    return `no answer from inferd at ${baseUrl} in time (${e.message})`;
  const detail = e.reason ?? e.message.split('\n')[0];
  const advice = tlsAdvice(code, tls);
  if (advice) return `cannot reach inferd at ${baseUrl} (${code}: ${detail}): ${advice}`;
  if (baseUrl.startsWith('https:') && !tls.cert && (code === 'ECONNRESET' || /socket hang up/.test(e.message))) {
    return `cannot reach inferd at ${baseUrl} (${code}: ${detail}); if the server asks for client certificates (mutual TLS), pass --cert FILE --key FILE (or INFERD_CERT, INFERD_KEY)`;
  }
  return `cannot reach inferd at ${baseUrl} (${code}); is the server running? Point --url (or INFERD_URL) at it`;
}
