/**
 * Compose-style middleware (as hono's and koa's `compose`): each handler gets the context and `next`, which runs
 * the handlers after it and, last, the core. A handler may act before and after `next`, replace what it returns,
 * or answer without calling it. Calling `next` twice is a bug and rejects.
 */
export type Middleware<C, R> = (ctx: C, next: () => Promise<R>) => Promise<R>;

export function compose<C, R>(
  handlers: ReadonlyArray<Middleware<C, R>>,
  core: (ctx: C) => Promise<R>,
): (ctx: C) => Promise<R> {
  if (handlers.length === 0) return core;
  return (ctx) => {
    let called = -1;
    const dispatch = (i: number): Promise<R> => {
      if (i <= called) return Promise.reject(new Error('next() called more than once by a stage'));
      called = i;
      const handler = handlers[i];
      if (!handler) return core(ctx);
      try {
        return handler(ctx, () => dispatch(i + 1));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return dispatch(0);
  };
}
