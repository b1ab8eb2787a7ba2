/**
 * The query string of GET /v1/predictions, checked: `model`, `since` (ISO 8601 or ms since the epoch),
 * `request_id`, `limit` (1..MAX_LIMIT, default DEFAULT_LIMIT). Pure.
 */
import { InvalidArgumentError } from '../../errors/index.js';
import type { AuditQuery } from '../../control/control-types.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

function single(params: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string')
    throw new InvalidArgumentError(`query parameter '${name}' is given more than once; give it once`);
  return v;
}

function parseSince(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError(
      `since='${text}' is not a time; use ISO 8601 (2026-01-31T12:00:00Z) or milliseconds since the epoch`,
    );
  return ms;
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT)
    throw new InvalidArgumentError(`limit=${text} is not an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

/** Turns query-string values into an AuditQuery; unknown parameters are refused so typos do not widen a query. */
export function parsePredictionQuery(params: Readonly<Record<string, unknown>>): AuditQuery {
  const known = new Set(['model', 'since', 'request_id', 'limit']);
  const unknown = Object.keys(params).filter((k) => !known.has(k));
  if (unknown.length)
    throw new InvalidArgumentError(`unknown query parameter '${unknown[0]}'; use model, since, request_id and limit`);
  const since = single(params, 'since');
  const limit = single(params, 'limit');
  return {
    model: single(params, 'model') || undefined,
    sinceMs: since === undefined ? undefined : parseSince(since),
    requestId: single(params, 'request_id') || undefined,
    limit: limit === undefined ? DEFAULT_LIMIT : parseLimit(limit),
  };
}
