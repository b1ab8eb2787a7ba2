import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCsvLine } from './csv.js';

test('splits plain and quoted fields', () => {
  assert.deepEqual(parseCsvLine('a,"b,c","say ""hi""",', 'x'), ['a', 'b,c', 'say "hi"', '']);
});

test('an unclosed quote names the line', () => {
  assert.throws(() => parseCsvLine('a,"b', 'file.csv:3'), /file.csv:3: a quoted field is not closed/);
});
