/** A replay target over HTTP: another inferd (or any Open Inference Protocol V2 server) at `baseUrl`. */
import type { ReplayRequest, ReplayTarget } from './replay-runner.js';
import type { ReplayTensor } from './replay-compare.js';

export interface HttpReplayTargetOptions {
  readonly baseUrl: string;
  /** The version to ask for; undefined: the server's choice (its traffic policy or highest version). */
  readonly version?: string;
  /** Sent as `Authorization: Bearer ...` when the server wants credentials. */
  readonly token?: string;
  readonly timeoutMs?: number;
}

export function httpReplayTarget(o: HttpReplayTargetOptions): ReplayTarget {
  const base = o.baseUrl.replace(/\/+$/, '');
  return {
    description: `${base}${o.version ? ` (version ${o.version})` : ''}`,
    async infer(model: string, request: ReplayRequest): Promise<ReplayTensor[]> {
      const path = `/v2/models/${encodeURIComponent(model)}${o.version ? `/versions/${encodeURIComponent(o.version)}` : ''}/infer`;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(request), signal: AbortSignal.timeout(o.timeoutMs ?? 30_000) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${res.status} from ${base}${path}: ${text.slice(0, 300)}`);
      return (JSON.parse(text) as { outputs: ReplayTensor[] }).outputs;
    },
  };
}
