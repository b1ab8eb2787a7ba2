/**
 * Ids for records whose request named none: UUIDv7 (RFC 9562), i.e. the time in ms in the first 48 bits, then
 * random bits. Time-ordered ids land at the end of the stores' request_id index instead of on a random page, which
 * keeps each batch's commit small (random UUIDs made SQLite inserts about three times dearer).
 */
import { randomUUID } from 'node:crypto';

/** A UUIDv7 for `nowMs` (ms since the epoch). */
export function timeOrderedId(nowMs: number): string {
  const time = Math.floor(nowMs).toString(16).padStart(12, '0').slice(-12);
  // randomUUID() is a v4: keep its random bits and variant, put the time in front and the version 7 in.
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
