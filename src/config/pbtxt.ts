/**
 * A parser for protobuf text format, enough for Triton's `config.pbtxt`: nested messages (`{}` or `<>`),
 * scalar fields with or without `:`, list syntax `[a, b]`, repeated fields, strings, numbers, enum identifiers
 * and `#` comments. It is schema-free: a field seen once is a value, a field seen again becomes an array.
 * Callers normalise known repeated fields with `asArray`.
 */
import { ConfigError } from '../errors/index.js';

export type TextValue = string | number | boolean | TextMessage | TextValue[];
export interface TextMessage {
  [field: string]: TextValue;
}

interface Token {
  kind: 'ident' | 'number' | 'string' | 'punct';
  text: string;
  line: number;
}

const PUNCT = new Set(['{', '}', '[', ']', '<', '>', ':', ',', ';']);

function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (PUNCT.has(c)) {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      i = readString(source, i, line, file, tokens);
      continue;
    }
    const m = /^[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[fF]?|^[A-Za-z_][\w.]*/.exec(
      source.slice(i, i + 200),
    );
    if (!m) throw new ConfigError(`${file}:${line}: unexpected character '${c}'`);
    const kind = /^[A-Za-z_]/.test(m[0]) ? 'ident' : 'number';
    tokens.push({ kind, text: m[0], line });
    i += m[0].length;
  }
  return tokens;
}

function readString(source: string, start: number, line: number, file: string, tokens: Token[]): number {
  const quote = source[start];
  let i = start + 1;
  let text = '';
  while (i < source.length && source[i] !== quote) {
    if (source[i] === '\n') throw new ConfigError(`${file}:${line}: unterminated string`);
    if (source[i] === '\\' && i + 1 < source.length) {
      const n = source[i + 1];
      text += n === 'n' ? '\n' : n === 't' ? '\t' : n;
      i += 2;
    } else {
      text += source[i++];
    }
  }
  if (i >= source.length) throw new ConfigError(`${file}:${line}: unterminated string`);
  tokens.push({ kind: 'string', text, line });
  return i + 1;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {}

  parseMessage(close?: string): TextMessage {
    const msg: TextMessage = {};
    for (;;) {
      const t = this.tokens[this.pos];
      if (!t) {
        if (close) throw this.error(`expected '${close}' before end of file`);
        return msg;
      }
      if (close && t.text === close && t.kind === 'punct') {
        this.pos++;
        return msg;
      }
      if (t.kind !== 'ident') throw this.error(`expected a field name, found '${t.text}'`, t);
      this.pos++;
      const hadColon = this.accept(':');
      const value = this.parseValue(hadColon);
      addField(msg, t.text, value);
      if (!this.accept(',')) this.accept(';');
    }
  }

  private parseValue(hadColon: boolean): TextValue {
    const t = this.tokens[this.pos];
    if (!t) throw this.error('expected a value before end of file');
    if (t.text === '{' || t.text === '<') {
      this.pos++;
      return this.parseMessage(t.text === '{' ? '}' : '>');
    }
    if (t.text === '[') {
      this.pos++;
      const items: TextValue[] = [];
      while (!this.accept(']')) {
        items.push(this.parseValue(true));
        if (!this.accept(',') && this.peek() !== ']') throw this.error(`expected ',' or ']' in list`);
      }
      return items;
    }
    if (!hadColon) throw this.error(`expected ':' or '{' after field name`, t);
    this.pos++;
    return scalar(t);
  }

  private accept(text: string): boolean {
    const t = this.tokens[this.pos];
    if (t && t.kind === 'punct' && t.text === text) {
      this.pos++;
      return true;
    }
    return false;
  }

  private peek(): string | undefined {
    return this.tokens[this.pos]?.text;
  }

  private error(message: string, t = this.tokens[this.pos]): ConfigError {
    return new ConfigError(`${this.file}:${t?.line ?? 'end'}: ${message}`);
  }
}

function scalar(t: Token): TextValue {
  if (t.kind === 'string') return t.text;
  if (t.kind === 'number') return Number(t.text.replace(/[fF]$/, ''));
  if (t.text === 'true' || t.text === 'True') return true;
  if (t.text === 'false' || t.text === 'False') return false;
  return t.text; // enum identifier
}

function addField(msg: TextMessage, name: string, value: TextValue): void {
  const prev = msg[name];
  if (prev === undefined) msg[name] = value;
  else if (Array.isArray(prev) && !Array.isArray(value)) prev.push(value);
  else if (Array.isArray(prev) && Array.isArray(value)) prev.push(...value);
  else msg[name] = [prev, ...(Array.isArray(value) ? value : [value])];
}

/** Parses protobuf text format into a schema-free message. `file` names the source in error messages. */
export function parseTextProto(source: string, file = 'config.pbtxt'): TextMessage {
  return new Parser(tokenize(source, file), file).parseMessage();
}

/** Normalises a possibly-repeated field to an array. */
export function asArray(value: TextValue | undefined): TextValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
