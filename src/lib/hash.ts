/** 32-bit hash helpers shared by sticky routing and Feast's field names. Pure. */

/**
 * MurmurHash3's 32-bit finaliser (fmix32): every input bit flips each output bit with probability near 1/2, so
 * nearby inputs land far apart. Returns an unsigned 32-bit integer.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
