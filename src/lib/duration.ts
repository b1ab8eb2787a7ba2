/**
 * Durations as people write them in configs and flags: a number and a unit, `500ms`, `90s`, `30m`, `1h`, `7d`.
 * Pure.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds in `text`, or undefined when it is not a duration.
 * @example parseDurationMs('24h') // 86400000
 */
export function parseDurationMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return ms > 0 && Number.isFinite(ms) ? ms : undefined;
}

/**
 * A start time from a `--since` value: a duration back from `nowMs` (`1h`, `7d`) or an ISO 8601 time; undefined
 * when it is neither.
 */
export function parseSinceMs(text: string, nowMs: number): number | undefined {
  const back = parseDurationMs(text);
  if (back !== undefined) return nowMs - back;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  return Number.isFinite(at) ? at : undefined;
}
