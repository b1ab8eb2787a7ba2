/**
 * Sticky assignment: a request key (a user id, a session) hashed to a point in [0, 1). The same key and model
 * always give the same point, so while the weights stay the same the key reaches the same version.
 * Pure: no I/O, no node:* imports.
 */
import { fmix32 } from '../lib/hash.js';

/** FNV-1a over the string's UTF-16 code units, then murmur3's finaliser so nearby keys spread out. */
export function hashKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/**
 * The point in [0, 1) a key maps to for a model. The model name salts the hash so one key is not pinned to the
 * low (candidate) end of every model's split at once.
 *
 * @example pointOf('digits', 'user-42') // same value on every call and every replica
 */
export function pointOf(model: string, key: string): number {
  return hashKey(`${model}\u0000${key}`) / 2 ** 32;
}

/**
 * The routing key of a request: the named parameter, else `routing_key` (where the HTTP front end puts the
 * routing header). Strings and finite numbers count; anything else means "no key".
 */
export function routingKeyOf(
  parameters: Readonly<Record<string, unknown>> | undefined,
  parameter: string,
): string | undefined {
  const value = parameters?.[parameter] ?? parameters?.routing_key;
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
