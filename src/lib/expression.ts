/**
 * A small, safe arithmetic expression language for rule-based fallbacks: no eval, no property access, no loops.
 * An expression is compiled once into closures and evaluated per row over numeric variables.
 *
 * ```
 * amount > 1000 && card_present == 0 ? 0.9 : sigmoid(input[3] * 2 - 1)
 * ```
 *
 * Grammar (lowest precedence first): `c ? a : b`, `||`, `&&`, comparisons (`< <= > >= == !=`), `+ -`,
 * `* / %`, unary `- + !`, then numbers, `true`/`false`, variables (`name`), indexed variables (`name[3]`),
 * calls of the functions in FUNCTIONS, and parentheses. Comparisons and logic yield 1 or 0; any non-zero is true.
 */

/** A variable an expression reads: a name, and an element index when written `name[i]`. */
export interface VariableRef {
  readonly name: string;
  readonly index: number | undefined;
}

export interface CompiledExpression {
  readonly source: string;
  /** Distinct variables, in first-use order; `evaluate` takes their values in this order. */
  readonly refs: readonly VariableRef[];
  evaluate(values: ArrayLike<number>): number;
}

/** A syntax error, with the 0-based character position it was found at. */
export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at character ${position + 1}`);
    this.name = 'ExpressionSyntaxError';
  }
}

export const MAX_EXPRESSION_LENGTH = 4096;
const MAX_DEPTH = 64;

type Node = (values: ArrayLike<number>) => number;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The only callable functions, with their argument counts (min, max). */
export const FUNCTIONS: ReadonlyMap<
  string,
  { readonly arity: readonly [number, number]; readonly fn: (...a: number[]) => number }
> = new Map([
  ['min', { arity: [1, 16] as const, fn: Math.min }],
  ['max', { arity: [1, 16] as const, fn: Math.max }],
  ['abs', { arity: [1, 1] as const, fn: Math.abs }],
  ['exp', { arity: [1, 1] as const, fn: Math.exp }],
  ['log', { arity: [1, 1] as const, fn: Math.log }],
  ['sqrt', { arity: [1, 1] as const, fn: Math.sqrt }],
  ['floor', { arity: [1, 1] as const, fn: Math.floor }],
  ['ceil', { arity: [1, 1] as const, fn: Math.ceil }],
  ['round', { arity: [1, 1] as const, fn: Math.round }],
  ['sigmoid', { arity: [1, 1] as const, fn: sigmoid }],
  ['clamp', { arity: [3, 3] as const, fn: (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi) }],
]);

const BINARY: Readonly<Record<string, (a: number, b: number) => number>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '<': (a, b) => (a < b ? 1 : 0),
  '<=': (a, b) => (a <= b ? 1 : 0),
  '>': (a, b) => (a > b ? 1 : 0),
  '>=': (a, b) => (a >= b ? 1 : 0),
  '==': (a, b) => (a === b ? 1 : 0),
  '!=': (a, b) => (a !== b ? 1 : 0),
};

type TokenKind = 'num' | 'id' | 'op' | 'end';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly pos: number;
}

const TOKEN =
  /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|==|!=|&&|\|\||[-+*/%<>!?:(),[\]]))/y;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < source.length) {
    if (/^\s*$/.test(source.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(source);
    if (!m) {
      const at = pos + (source.slice(pos).length - source.slice(pos).trimStart().length);
      throw new ExpressionSyntaxError(`unexpected character '${source[at]}'`, at);
    }
    const text = m[1] ?? m[2] ?? m[3];
    tokens.push({
      kind: m[1] !== undefined ? 'num' : m[2] !== undefined ? 'id' : 'op',
      text,
      pos: TOKEN.lastIndex - text.length,
    });
    pos = TOKEN.lastIndex;
  }
  tokens.push({ kind: 'end', text: 'end of expression', pos: source.length });
  return tokens;
}

class Parser {
  private i = 0;
  private depth = 0;
  readonly refs: VariableRef[] = [];

  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.conditional();
    const t = this.peek();
    if (t.kind !== 'end') throw new ExpressionSyntaxError(`unexpected '${t.text}'`, t.pos);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.i];
  }

  private take(): Token {
    return this.tokens[this.i++];
  }

  private accept(op: string): boolean {
    const t = this.peek();
    if (t.kind !== 'op' || t.text !== op) return false;
    this.i++;
    return true;
  }

  private expect(op: string): void {
    const t = this.peek();
    if (!this.accept(op)) throw new ExpressionSyntaxError(`expected '${op}' but found '${t.text}'`, t.pos);
  }

  private conditional(): Node {
    if (++this.depth > MAX_DEPTH)
      throw new ExpressionSyntaxError(`expression is nested more than ${MAX_DEPTH} deep`, this.peek().pos);
    const test = this.logical('||', () => this.logical('&&', () => this.comparison()));
    let node = test;
    if (this.accept('?')) {
      const yes = this.conditional();
      this.expect(':');
      const no = this.conditional();
      node = (v) => (test(v) !== 0 ? yes(v) : no(v));
    }
    this.depth--;
    return node;
  }

  private logical(op: '||' | '&&', next: () => Node): Node {
    let left = next();
    while (this.accept(op)) {
      const a = left;
      const b = next();
      left = op === '||' ? (v) => (a(v) !== 0 || b(v) !== 0 ? 1 : 0) : (v) => (a(v) !== 0 && b(v) !== 0 ? 1 : 0);
    }
    return left;
  }

  private comparison(): Node {
    const left = this.binary(['+', '-'], () => this.binary(['*', '/', '%'], () => this.unary()));
    const t = this.peek();
    if (t.kind === 'op' && ['<', '<=', '>', '>=', '==', '!='].includes(t.text)) {
      this.i++;
      const right = this.binary(['+', '-'], () => this.binary(['*', '/', '%'], () => this.unary()));
      const f = BINARY[t.text];
      return (v) => f(left(v), right(v));
    }
    return left;
  }

  private binary(ops: readonly string[], next: () => Node): Node {
    let left = next();
    for (let t = this.peek(); t.kind === 'op' && ops.includes(t.text); t = this.peek()) {
      this.i++;
      const a = left;
      const b = next();
      const f = BINARY[t.text];
      left = (v) => f(a(v), b(v));
    }
    return left;
  }

  private unary(): Node {
    if (++this.depth > MAX_DEPTH)
      throw new ExpressionSyntaxError(`expression is nested more than ${MAX_DEPTH} deep`, this.peek().pos);
    let node: Node;
    if (this.accept('-')) {
      const x = this.unary();
      node = (v) => -x(v);
    } else if (this.accept('+')) node = this.unary();
    else if (this.accept('!')) {
      const x = this.unary();
      node = (v) => (x(v) === 0 ? 1 : 0);
    } else node = this.primary();
    this.depth--;
    return node;
  }

  private primary(): Node {
    const t = this.take();
    if (t.kind === 'num') {
      const n = Number(t.text);
      return () => n;
    }
    if (t.kind === 'op' && t.text === '(') {
      const inner = this.conditional();
      this.expect(')');
      return inner;
    }
    if (t.kind !== 'id')
      throw new ExpressionSyntaxError(`expected a number, a name or '(' but found '${t.text}'`, t.pos);
    if (t.text === 'true') return () => 1;
    if (t.text === 'false') return () => 0;
    if (this.peek().text === '(' && this.peek().kind === 'op') return this.call(t);
    return this.variable(t);
  }

  private call(name: Token): Node {
    const f = FUNCTIONS.get(name.text);
    if (!f)
      throw new ExpressionSyntaxError(
        `unknown function '${name.text}'; the functions are ${[...FUNCTIONS.keys()].join(', ')}`,
        name.pos,
      );
    this.expect('(');
    const args: Node[] = [];
    if (!this.accept(')')) {
      do args.push(this.conditional());
      while (this.accept(','));
      this.expect(')');
    }
    const [lo, hi] = f.arity;
    if (args.length < lo || args.length > hi) {
      throw new ExpressionSyntaxError(
        `${name.text}() takes ${lo === hi ? lo : `${lo} to ${hi}`} argument(s), got ${args.length}`,
        name.pos,
      );
    }
    if (args.length === 1) {
      const [a] = args;
      return (v) => f.fn(a(v));
    }
    return (v) => f.fn(...args.map((a) => a(v)));
  }

  private variable(name: Token): Node {
    let index: number | undefined;
    if (this.accept('[')) {
      const t = this.take();
      if (t.kind !== 'num' || !/^\d+$/.test(t.text) || !Number.isSafeInteger(Number(t.text))) {
        throw new ExpressionSyntaxError(
          `an index must be a whole number such as ${name.text}[0], found '${t.text}'`,
          t.pos,
        );
      }
      index = Number(t.text);
      this.expect(']');
    }
    let slot = this.refs.findIndex((r) => r.name === name.text && r.index === index);
    if (slot < 0) slot = this.refs.push({ name: name.text, index }) - 1;
    return (v) => v[slot];
  }
}

/**
 * Compiles an expression; throws ExpressionSyntaxError naming the position of the first mistake.
 *
 * @example
 * const e = compileExpression('amount > 100 ? 1 : 0'); // e.refs: [{ name: 'amount', index: undefined }]
 * e.evaluate([250]); // 1
 */
export function compileExpression(source: string): CompiledExpression {
  if (source.length > MAX_EXPRESSION_LENGTH)
    throw new ExpressionSyntaxError(
      `expression is longer than ${MAX_EXPRESSION_LENGTH} characters`,
      MAX_EXPRESSION_LENGTH,
    );
  const parser = new Parser(tokenize(source));
  const root = parser.parse();
  return { source, refs: parser.refs, evaluate: root };
}
