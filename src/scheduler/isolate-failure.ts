/**
 * After a batched runtime call fails: which of its requests made it fail. The batch is split in halves, each half
 * run on its own, and a half that fails again is split again, down to single requests. Every request in a half
 * that succeeds is answered by that run; a request whose own run fails is "failed alone".
 *
 * The work is bounded: a batch of n requests costs at most 2n - 1 runtime calls counting the one that failed
 * (a full binary tree with n leaves), and 1 + 2·⌈log2 n⌉ when a single request is at fault.
 */

/** Runs `part` as one call, answering its requests when it succeeds; resolves with the failure, or undefined. */
export type RunPart<T> = (part: readonly T[]) => Promise<Error | undefined>;

export interface Isolation<T> {
  /** Requests answered by the runs of the isolation. */
  readonly answered: number;
  /** Requests whose run on their own failed, with that run's error. */
  readonly failedAlone: ReadonlyMap<T, Error>;
  /** Runtime calls made (the failed batch's not counted). */
  readonly runs: number;
}

/** Bisects a failed batch of two or more requests (see above). */
export async function isolateFailure<T>(batch: readonly T[], run: RunPart<T>): Promise<Isolation<T>> {
  const failedAlone = new Map<T, Error>();
  let answered = 0;
  let runs = 0;
  const split = async (items: readonly T[]): Promise<void> => {
    const middle = Math.ceil(items.length / 2);
    for (const half of [items.slice(0, middle), items.slice(middle)]) {
      runs++;
      const failure = await run(half);
      if (!failure) answered += half.length;
      else if (half.length === 1) failedAlone.set(half[0], failure);
      else await split(half);
    }
  };
  await split(batch);
  return { answered, failedAlone, runs };
}
