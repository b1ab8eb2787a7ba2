/**
 * Entity keys as strings: each value percent-encoded (as encodeURIComponent does) and joined with ':' in the
 * view's entity order. Ordinary ids (letters, digits, '_', '-', '.') read as themselves: `u42`, `u42:m7`.
 */
import type { EntityKey } from './types.js';

/** The canonical text of an entity key, used by the cache, SQLite rows and Redis key names. */
export function entityKeyText(key: EntityKey): string {
  return key.length === 1 ? encodeURIComponent(key[0]) : key.map((v) => encodeURIComponent(v)).join(':');
}
