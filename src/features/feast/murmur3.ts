/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's MurmurHash3_x86_32), as Python's `mmh3.hash(key,
 * signed=False)` computes it over a string's UTF-8 bytes. Feast names Redis hash fields with it.
 */
import { fmix32 } from '../../lib/hash.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function scramble(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

/** The unsigned 32-bit hash of `data` (a string is hashed as UTF-8). */
export function murmur3x86_32(data: Uint8Array | string, seed = 0): number {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const n = bytes.length;
  const blocks = n & ~3;
  let h = seed | 0;
  for (let i = 0; i < blocks; i += 4) {
    h ^= scramble(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail) {
    let k = bytes[blocks];
    if (tail > 1) k |= bytes[blocks + 1] << 8;
    if (tail > 2) k |= bytes[blocks + 2] << 16;
    h ^= scramble(k);
  }
  return fmix32(h ^ n);
}
