/**
 * A value built the first time it is asked for, then kept: for things a start need not pay for unless they are
 * used (e.g. config schemas of sections a default config does not have).
 */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
