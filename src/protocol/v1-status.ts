/**
 * TF Serving's model status (`GET /v1/models/{model}[/versions/{version}]`) from the repository index:
 * `{"model_version_status": [{"version", "state", "status": {"error_code", "error_message"}}]}`.
 */
import { NotFoundError } from '../errors/index.js';
import { versionLabel } from '../config/version-label.js';

/** One index entry (as InferenceService.index() lists them). */
export interface VersionStatusEntry {
  readonly name: string;
  readonly version?: number;
  readonly state: string;
  readonly reason?: string;
}

const TF_STATE: Readonly<Record<string, string>> = {
  READY: 'AVAILABLE',
  LOADING: 'LOADING',
  UNLOADING: 'UNLOADING',
  UNAVAILABLE: 'END',
};

/** Reasons for being unavailable that are not failures. */
const NOT_FAILURES = new Set(['unloaded', 'not loaded']);

function statusOf(e: VersionStatusEntry) {
  const failed = e.state === 'UNAVAILABLE' && e.reason !== undefined && !NOT_FAILURES.has(e.reason);
  return {
    // proto3 JSON omits a zero version: a model-level entry (it failed before any version loaded) has none.
    ...(e.version === undefined ? {} : { version: versionLabel(e.version) }),
    state: TF_STATE[e.state] ?? 'UNKNOWN',
    status: { error_code: failed ? 'UNKNOWN' : 'OK', error_message: failed ? e.reason : '' },
  };
}

/** The status body of a model (every listed version) or one version; NotFoundError when there is none. */
export function encodeModelStatus(entries: readonly VersionStatusEntry[], model: string, version?: string): string {
  const mine = entries.filter((e) => e.name === model);
  if (mine.length === 0)
    throw new NotFoundError(
      `unknown model '${model.slice(0, 128)}'; POST /v2/repository/index lists the models`,
      'model_not_found',
    );
  const chosen =
    version === undefined ? mine : mine.filter((e) => e.version !== undefined && versionLabel(e.version) === version);
  if (chosen.length === 0) {
    const have = mine.flatMap((e) => (e.version === undefined ? [] : [versionLabel(e.version)])).join(', ') || 'none';
    throw new NotFoundError(
      `model '${model.slice(0, 128)}' has no version ${version?.slice(0, 32)}; its versions: ${have}`,
      'version_not_found',
    );
  }
  return JSON.stringify({ model_version_status: chosen.map(statusOf) });
}
