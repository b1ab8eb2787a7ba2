import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compose, type Middleware } from './compose.js';

test('no handlers: the core itself', () => {
  const core = async (n: number) => n + 1;
  assert.equal(compose([], core), core);
});

test('handlers run in order around the core, each before and after next()', async () => {
  const seen: string[] = [];
  const wrap =
    (name: string): Middleware<string[], string> =>
    async (ctx, next) => {
      ctx.push(`${name} in`);
      const r = await next();
      ctx.push(`${name} out`);
      return `${name}(${r})`;
    };
  const run = compose([wrap('a'), wrap('b')], async (ctx) => {
    ctx.push('core');
    return 'x';
  });
  assert.equal(await run(seen), 'a(b(x))');
  assert.deepEqual(seen, ['a in', 'b in', 'core', 'b out', 'a out']);
});

test('a handler may answer without calling next, and errors reject', async () => {
  let cored = 0;
  const core = async () => void cored++;
  await compose<unknown, void>([async () => undefined], core)(null);
  assert.equal(cored, 0);
  await assert.rejects(
    compose<unknown, void>(
      [
        () => {
          throw new Error('sync throw');
        },
      ],
      core,
    )(null),
    /sync throw/,
  );
});

test('calling next twice rejects', async () => {
  const twice: Middleware<unknown, number> = async (_ctx, next) => (await next()) + (await next());
  await assert.rejects(compose([twice], async () => 1)(null), /next\(\) called more than once/);
});
