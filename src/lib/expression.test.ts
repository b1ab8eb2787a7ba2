import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileExpression, ExpressionSyntaxError } from './expression.js';

const run = (src: string, values: number[] = []) => compileExpression(src).evaluate(values);

describe('compileExpression', () => {
  it('follows the usual precedence of arithmetic, comparison, logic and ?:', () => {
    assert.equal(run('1 + 2 * 3'), 7);
    assert.equal(run('(1 + 2) * 3'), 9);
    assert.equal(run('-2 * -3 - 1'), 5);
    assert.equal(run('7 % 4 == 3'), 1);
    assert.equal(run('1 < 2 && 2 < 1 || 3 >= 3'), 1);
    assert.equal(run('!0 + !5'), 1);
    assert.equal(run('0 ? 1 : 2 ? 3 : 4'), 3);
    assert.equal(run('true ? 1.5e1 : .5'), 15);
  });

  it('reads variables and indexed variables in first-use order, sharing repeated ones', () => {
    const e = compileExpression('amount > 100 && x[3] < 2 ? amount * 2 : x[0]');
    assert.deepEqual(e.refs, [
      { name: 'amount', index: undefined },
      { name: 'x', index: 3 },
      { name: 'x', index: 0 },
    ]);
    assert.equal(e.evaluate([150, 1, 9]), 300);
    assert.equal(e.evaluate([50, 1, 9]), 9);
  });

  it('calls only the listed functions, with their arity checked', () => {
    assert.equal(run('max(1, 5, 3) + min(2)'), 7);
    assert.equal(run('clamp(12, 0, 10)'), 10);
    assert.ok(Math.abs(run('sigmoid(0)') - 0.5) < 1e-12);
    assert.throws(() => compileExpression('constructor(1)'), /unknown function 'constructor'/);
    assert.throws(() => compileExpression('clamp(1, 2)'), /clamp\(\) takes 3 argument/);
  });

  it('refuses anything beyond the grammar, naming where', () => {
    for (const bad of ['a.b', 'a = 1', '"x"', 'x[1.5]', 'x[-1]', '1 +', '(1', 'process', '1 2']) {
      if (bad === 'process') {
        assert.deepEqual(
          compileExpression(bad).refs,
          [{ name: 'process', index: undefined }],
          'a bare name is only a variable slot',
        );
        continue;
      }
      assert.throws(
        () => compileExpression(bad),
        (err: unknown) => err instanceof ExpressionSyntaxError && /at character \d+/.test(err.message),
        bad,
      );
    }
    const e = (() => {
      try {
        compileExpression('1 + $');
      } catch (err) {
        return err as ExpressionSyntaxError;
      }
      return undefined;
    })();
    assert.equal(e?.position, 4);
  });

  it('bounds nesting depth and length instead of overflowing the stack', () => {
    assert.throws(() => compileExpression('('.repeat(500) + '1' + ')'.repeat(500)), /nested more than/);
    assert.throws(() => compileExpression('-'.repeat(500) + '1'), /nested more than/);
    assert.throws(() => compileExpression('1+'.repeat(3000) + '1'), /longer than/);
  });
});
