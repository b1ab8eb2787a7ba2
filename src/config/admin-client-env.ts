/**
 * What the management commands (`inferd models`, `inferd rollout`) read from the environment: the server's URL
 * and the credentials to present. Flags win over these.
 */

export interface AdminClientEnv {
  /** INFERD_URL: base URL of a running server. */
  readonly url?: string;
  /** INFERD_API_KEY: an API key, sent as `x-api-key`. */
  readonly apiKey?: string;
  /** INFERD_TOKEN: a JWT (or API key), sent as `Authorization: Bearer`. */
  readonly token?: string;
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

/** Reads INFERD_URL, INFERD_API_KEY and INFERD_TOKEN (process.env by default). */
export function adminClientEnv(env: NodeJS.ProcessEnv = process.env): AdminClientEnv {
  return { url: nonEmpty(env.INFERD_URL), apiKey: nonEmpty(env.INFERD_API_KEY), token: nonEmpty(env.INFERD_TOKEN) };
}
