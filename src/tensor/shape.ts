import { InvalidArgumentError } from '../errors/index.js';

/** Largest element count a single tensor may have; shape products are checked against it before allocating. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Product of a shape's dimensions, rejecting negative, fractional and overflowing shapes. */
export function elementCount(shape: readonly number[], what = 'tensor'): number {
  let count = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new InvalidArgumentError(
        `${what} has an invalid shape ${formatShape(shape)}: dimensions must be non-negative integers`,
      );
    }
    count *= dim;
    if (count > MAX_ELEMENTS) {
      throw new InvalidArgumentError(`${what} shape ${formatShape(shape)} has more than ${MAX_ELEMENTS} elements`);
    }
  }
  return count;
}

/** A shape as messages show it; past 16 dimensions the rest is counted, not listed (shapes come from callers). */
export function formatShape(shape: readonly number[]): string {
  if (shape.length <= 16) return `[${shape.join(', ')}]`;
  return `[${shape.slice(0, 16).join(', ')}, ... (${shape.length} dimensions)]`;
}

/** True when `shape` matches `dims`, where -1 in dims accepts any size. */
export function shapeMatches(shape: readonly number[], dims: readonly number[]): boolean {
  if (shape.length !== dims.length) return false;
  return dims.every((d, i) => d === -1 || d === shape[i]);
}
