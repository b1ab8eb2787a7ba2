/**
 * Feast's Redis online-store layout (Feast's `RedisOnlineStore`, entity key serialization versions 2 and 3):
 *
 *   key    serialize_entity_key(entity key) + project           (feast-entity-key.ts)
 *   type   hash, one per entity key, shared by every feature view with the same join keys
 *   fields murmur3_32("<view>:<feature>") as 4 little-endian bytes → a serialized feast.types.Value
 *          "_ts:<view>"                                          → a serialized google.protobuf.Timestamp
 */
import type { FeatureViewConfig } from '../../config/index.js';
import type { StoredRow } from '../types.js';
import { murmur3x86_32 } from './murmur3.js';
import { decodeFeastValue, decodeTimestampMs } from './feast-value.js';

/** The hash field of a feature: Feast's `_mmh3(f"{view}:{feature}")`. */
export function featureField(view: string, feature: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(murmur3x86_32(`${view}:${feature}`));
  return b;
}

export function timestampField(view: string): string {
  return `_ts:${view}`;
}

/** HMGET fields for a view: its features in view order, then the timestamp (as Feast's online_read asks). */
export function feastReadFields(view: FeatureViewConfig): Array<Buffer | string> {
  return [...view.features.map((f) => featureField(view.name, f.name)), timestampField(view.name)];
}

/** A row from HMGET's answer (see feastReadFields); undefined when the view's timestamp is absent. */
export function decodeFeastRow(view: FeatureViewConfig, values: ReadonlyArray<Buffer | null>): StoredRow | undefined {
  const ts = values[view.features.length];
  if (!ts) return undefined;
  const row: Record<string, unknown> = {};
  view.features.forEach((f, i) => {
    const v = values[i];
    row[f.name] = v ? decodeFeastValue(v) : null;
  });
  return { eventTimeMs: decodeTimestampMs(ts), values: row };
}
