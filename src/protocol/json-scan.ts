/**
 * A forward-only reader over JSON text that walks a body's outline (keys, list lengths, small values) and skips
 * the values it does not need, without building them: what the declared-shape checks read before a body's data is
 * decoded. It validates only what it reads; anything it does not understand stops it (`ScanStopped`), and the full
 * parse that follows reports the body's mistake as before.
 */

/** Thrown when the text is not what the scanner expected; the caller gives up its early checks. */
export class ScanStopped extends Error {}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

export class JsonScanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  private ws(): void {
    const t = this.text;
    let c = t.charCodeAt(this.pos);
    while (c === SPACE || c === LF || c === CR || c === TAB) c = t.charCodeAt(++this.pos);
  }

  /** The next character's code after whitespace (NaN at the end). */
  peek(): number {
    this.ws();
    return this.text.charCodeAt(this.pos);
  }

  private expect(code: number): void {
    if (this.peek() !== code) throw new ScanStopped();
    this.pos++;
  }

  /** Skips a string starting at the current position (its opening quote). */
  private skipString(): void {
    const t = this.text;
    for (let i = this.pos + 1; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) {
        this.pos = i + 1;
        return;
      }
    }
    throw new ScanStopped();
  }

  /** Skips one value of any kind; returns where it started and ended. Iterative: nesting costs no stack. */
  skip(): { start: number; end: number } {
    const c0 = this.peek();
    const start = this.pos;
    const t = this.text;
    if (c0 === QUOTE) {
      this.skipString();
    } else if (c0 === OPEN_ARRAY || c0 === OPEN_OBJECT) {
      let depth = 0;
      let i = this.pos;
      for (; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (c === QUOTE) {
          this.pos = i;
          this.skipString();
          i = this.pos - 1;
        } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
        else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
          if (--depth === 0) break;
        }
      }
      if (depth !== 0) throw new ScanStopped();
      this.pos = i + 1;
    } else {
      let i = this.pos;
      for (; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (c === COMMA || c === CLOSE_ARRAY || c === CLOSE_OBJECT || c === SPACE || c === LF || c === CR || c === TAB)
          break;
      }
      if (i === this.pos) throw new ScanStopped();
      this.pos = i;
    }
    return { start, end: this.pos };
  }

  /** Reads one small value with JSON.parse (its text must hold no nesting: '[' or '{' inside refuses). */
  flatValue(): unknown {
    const { start, end } = this.skip();
    const text = this.text.slice(start, end);
    const first = text.charCodeAt(0);
    if ((first === OPEN_ARRAY || first === OPEN_OBJECT) && /[[{]/.test(text.slice(1))) throw new ScanStopped();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ScanStopped();
    }
  }

  /** Walks an object: `entry(key)` must read or skip the value. */
  object(entry: (key: string) => void): void {
    this.expect(OPEN_OBJECT);
    if (this.peek() === CLOSE_OBJECT) {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.peek() !== QUOTE) throw new ScanStopped();
      const key = this.flatValue() as string;
      this.expect(COLON);
      entry(key);
      const c = this.peek();
      this.pos++;
      if (c === CLOSE_OBJECT) return;
      if (c !== COMMA) throw new ScanStopped();
    }
  }

  /**
   * Walks a list: `element(index)` must read or skip the element; returning false stops the walk there (the
   * rest of the list is never looked at). Returns how many elements were walked.
   */
  array(element: (index: number) => boolean | void): number {
    this.expect(OPEN_ARRAY);
    if (this.peek() === CLOSE_ARRAY) {
      this.pos++;
      return 0;
    }
    for (let n = 0; ; n++) {
      if (element(n) === false) return n + 1;
      const c = this.peek();
      this.pos++;
      if (c === CLOSE_ARRAY) return n + 1;
      if (c !== COMMA) throw new ScanStopped();
    }
  }
}

/** Runs `walk` over `text`; a body the scanner cannot follow leaves the checks to the full parse. */
export function scanJson(text: string, walk: (scan: JsonScanner) => void): void {
  try {
    walk(new JsonScanner(text));
  } catch (err) {
    if (!(err instanceof ScanStopped)) throw err;
  }
}
