/**
 * inferd's own Redis layout, documented so that other systems can write it:
 *
 *   key    <key_prefix><view>:<entity key text>        e.g. inferd:user_profile:u42  (entity-key.ts)
 *   type   hash
 *   fields _ts      event time of the row, ms since the epoch, decimal text
 *          <name>   each feature's value as decimal text (booleans 1/0); an absent field is a missing value
 *
 * A writer must keep "older writes never overwrite newer ones": compare `_ts` and, only when its row is at least as
 * new, set `_ts` and the fields it writes (HSET merges: fields it does not name keep their values) and delete the
 * fields it writes as missing, atomically (UPSERT_SCRIPT below does exactly that).
 */
import type { FeatureViewConfig } from '../../config/index.js';
import { entityKeyText } from '../entity-key.js';
import type { EntityKey, StoredRow, WriteRow } from '../types.js';

export const TIMESTAMP_FIELD = '_ts';

/**
 * KEYS[1] the hash; ARGV[1] the event time (ms); ARGV[2..] field, value pairs, an empty value deleting the field
 * (a missing value). Fields not named keep their values. Returns 1 written, 0 skipped.
 */
export const UPSERT_SCRIPT = `
local current = redis.call('HGET', KEYS[1], '${TIMESTAMP_FIELD}')
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], '${TIMESTAMP_FIELD}', ARGV[1])
for i = 2, #ARGV - 1, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
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

/** UPSERT_SCRIPT's ARGV for a row: the event time, then field/value pairs ('' for a missing value: deleted). */
export function upsertArgs(row: WriteRow): string[] {
  const args = [String(row.eventTimeMs)];
  for (const [name, value] of Object.entries(row.values)) {
    args.push(name, value === null || Number.isNaN(value) ? '' : String(value));
  }
  return args;
}
