/**
 * inferd's own Redis layout, documented so that other systems can write it:
 *
 *   key    <key_prefix><view>:<entity key text>        e.g. inferd:user_profile:u42  (entity-key.ts)
 *   type   hash
 *   fields _ts      event time of the row, ms since the epoch, decimal text
 *          <name>   each feature's value as decimal text (booleans 1/0); an absent field is a missing value
 *
 * A writer must keep "older writes never overwrite newer ones": compare `_ts` and replace the whole hash only when
 * its row is at least as new, atomically (UPSERT_SCRIPT below does exactly that).
 */
import type { FeatureViewConfig } from '../../config/index.js';
import { entityKeyText } from '../entity-key.js';
import type { EntityKey, StoredRow, WriteRow } from '../types.js';

export const TIMESTAMP_FIELD = '_ts';

/** KEYS[1] the hash; ARGV[1] the event time (ms); ARGV[2..] field, value pairs. Returns 1 written, 0 skipped. */
export const UPSERT_SCRIPT = `
local current = redis.call('HGET', KEYS[1], '${TIMESTAMP_FIELD}')
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${TIMESTAMP_FIELD}', unpack(ARGV))
return 1`;

/** The Redis key of an entity's row of a view. */
export function rowKey(prefix: string, view: FeatureViewConfig, key: EntityKey): string {
  return `${prefix}${view.name}:${entityKeyText(key)}`;
}

/** HMGET fields for a view: the timestamp, then the features in view order. */
export function readFields(view: FeatureViewConfig): string[] {
  return [TIMESTAMP_FIELD, ...view.features.map((f) => f.name)];
}

/** A row from HMGET's answer (see readFields), or undefined when the hash has no timestamp (no row). */
export function decodeRow(view: FeatureViewConfig, values: ReadonlyArray<string | null>): StoredRow | undefined {
  if (values[0] === null) return undefined;
  const row: Record<string, unknown> = {};
  view.features.forEach((f, i) => {
    row[f.name] = values[i + 1];
  });
  return { eventTimeMs: Number(values[0]), values: row };
}

/** UPSERT_SCRIPT's ARGV for a row: the event time, then field/value pairs for the present values. */
export function upsertArgs(row: WriteRow): string[] {
  const args = [String(row.eventTimeMs)];
  for (const [name, value] of Object.entries(row.values)) {
    if (value !== null && !Number.isNaN(value)) args.push(name, String(value));
  }
  return args;
}
