/**
 * `inferd replay --url`: another inferd (or any Open Inference Protocol V2 server) as the replay target, over HTTP
 * or HTTPS with the same TLS files as the management commands (--cacert, --cert, --key).
 */
import type { StoredTensor } from '../audit/audit-record.js';
import type { ReplayRequest, ReplayTarget } from '../quality/replay-runner.js';
import { sendHttp, unreachable, type TlsMaterial } from './http-request.js';

export interface HttpReplayTargetOptions {
  readonly baseUrl: string;
  /** The version to ask for; undefined: the server's choice (its traffic policy or highest version). */
  readonly version?: string | undefined;
  /** Sent as `Authorization: Bearer ...` when the server wants credentials. */
  readonly token?: string | undefined;
  readonly tls: TlsMaterial;
  readonly timeoutMs?: number;
}

export function httpReplayTarget(o: HttpReplayTargetOptions): ReplayTarget {
  const base = o.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
  };
  return {
    description: `${base}${o.version ? ` (version ${o.version})` : ''}`,
    async infer(model: string, request: ReplayRequest): Promise<StoredTensor[]> {
      const path = `/v2/models/${encodeURIComponent(model)}${o.version ? `/versions/${encodeURIComponent(o.version)}` : ''}/infer`;
      const res = await sendHttp(`${base}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(request),
        tls: o.tls,
        timeoutMs: o.timeoutMs ?? 30_000,
      }).catch((err: unknown) => {
        throw new Error(unreachable(base, err, o.tls));
      });
      if (res.status < 200 || res.status > 299)
        throw new Error(`${res.status} from ${base}${path}: ${res.text.slice(0, 300)}`);
      return (JSON.parse(res.text) as { outputs: StoredTensor[] }).outputs;
    },
  };
}
