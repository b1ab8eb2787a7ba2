/**
 * Feast's Redis key: `serialize_entity_key(entity_key, version)` followed by the project name's UTF-8 bytes
 * (feast/infra/online_stores/helpers.py `_redis_key`; feast/infra/key_encoding_utils.py).
 *
 * Join keys are sorted by name. For each key: u32le ValueType.STRING (2), [v3: u32le length], the name's UTF-8.
 * Then for each value, in the same order: u32le value type, u32le byte length, the bytes (STRING: UTF-8; INT64:
 * 8 bytes little-endian). Version 3 starts with a u32le count of keys. Versions 2 and 3 are supported.
 */
import type { EntitySpec } from '../../config/index.js';
import type { EntityKey } from '../types.js';

const VALUE_TYPE_STRING = 2;
const VALUE_TYPE_INT64 = 4;

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function valueBytes(spec: EntitySpec, value: string): [number, Buffer] {
  if (spec.type === 'STRING') return [VALUE_TYPE_STRING, Buffer.from(value, 'utf8')];
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(value));
  return [VALUE_TYPE_INT64, b];
}

/** The bytes Feast's serialize_entity_key produces for these entity values (in the view's entity order). */
export function serializeEntityKey(entities: readonly EntitySpec[], key: EntityKey, version: 2 | 3): Buffer {
  const pairs = entities
    .map((spec, i) => ({ spec, value: key[i] }))
    .sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));
  const parts: Buffer[] = version >= 3 ? [u32(pairs.length)] : [];
  for (const { spec } of pairs) {
    parts.push(u32(VALUE_TYPE_STRING));
    // Python's len(k): characters (code points), which equals the byte length for ASCII join keys.
    if (version >= 3) parts.push(u32([...spec.name].length));
    parts.push(Buffer.from(spec.name, 'utf8'));
  }
  for (const { spec, value } of pairs) {
    const [type, bytes] = valueBytes(spec, value);
    parts.push(u32(type), u32(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

/** The Redis key of an entity in a Feast project. */
export function feastRedisKey(
  entities: readonly EntitySpec[],
  key: EntityKey,
  project: string,
  version: 2 | 3,
): Buffer {
  return Buffer.concat([serializeEntityKey(entities, key, version), Buffer.from(project, 'utf8')]);
}
