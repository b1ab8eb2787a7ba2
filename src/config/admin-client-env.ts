/**
 * What the management commands (`inferd models`, `inferd rollout`, `inferd traffic`) read from the environment: the
 * server's URL, the credentials to present, and the TLS files for a server with a private CA or mutual TLS. Flags
 * win over these.
 */

export interface AdminClientEnv {
  /** INFERD_URL: base URL of a running server. */
  readonly url?: string | undefined;
  /** INFERD_API_KEY: an API key, sent as `x-api-key`. */
  readonly apiKey?: string | undefined;
  /** INFERD_TOKEN: a JWT (or API key), sent as `Authorization: Bearer`. */
  readonly token?: string | undefined;
  /** INFERD_CACERT: PEM file of the CA(s) that sign the server's certificate (curl's --cacert). */
  readonly cacert?: string | undefined;
  /** INFERD_CERT: PEM client certificate, for a server that asks for one (mutual TLS). */
  readonly cert?: string | undefined;
  /** INFERD_KEY: PEM private key of INFERD_CERT. */
  readonly key?: string | undefined;
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

/** Reads INFERD_URL, INFERD_API_KEY, INFERD_TOKEN, INFERD_CACERT, INFERD_CERT and INFERD_KEY (process.env by default). */
export function adminClientEnv(env: NodeJS.ProcessEnv = process.env): AdminClientEnv {
  return {
    url: nonEmpty(env.INFERD_URL),
    apiKey: nonEmpty(env.INFERD_API_KEY),
    token: nonEmpty(env.INFERD_TOKEN),
    cacert: nonEmpty(env.INFERD_CACERT),
    cert: nonEmpty(env.INFERD_CERT),
    key: nonEmpty(env.INFERD_KEY),
  };
}
