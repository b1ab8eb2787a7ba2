import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandArgs, UsageError, withNegativeValues } from './command-args.js';

const OPTIONS = {
  'grpc-port': { type: 'string' },
  port: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
} as const;

test('a string option takes a negative number as its value, in either form', () => {
  assert.deepEqual(withNegativeValues(['--grpc-port', '-1', '--json'], OPTIONS), ['--grpc-port=-1', '--json']);
  assert.deepEqual(withNegativeValues(['-p', '-2.5'], OPTIONS), ['--port=-2.5']);
  assert.deepEqual(
    { ...parseCommandArgs({ args: ['--grpc-port', '-1'], options: OPTIONS }).values },
    { 'grpc-port': '-1' },
  );
  assert.deepEqual(
    { ...parseCommandArgs({ args: ['--grpc-port=-1'], options: OPTIONS }).values },
    { 'grpc-port': '-1' },
  );
});

test('anything else is left to parseArgs: booleans, options as values, what follows --', () => {
  assert.deepEqual(withNegativeValues(['--json', '-1'], OPTIONS), ['--json', '-1']);
  assert.deepEqual(withNegativeValues(['--grpc-port', '--json'], OPTIONS), ['--grpc-port', '--json']);
  assert.deepEqual(withNegativeValues(['--', '--grpc-port', '-1'], OPTIONS), ['--', '--grpc-port', '-1']);
  assert.throws(
    () => parseCommandArgs({ args: ['--grpc-port', '--json'], options: OPTIONS }),
    (err: Error) => err instanceof UsageError && /ambiguous/.test(err.message),
  );
  assert.throws(
    () => parseCommandArgs({ args: ['--nope'], options: OPTIONS }),
    (err: Error) => err instanceof UsageError && /Unknown option '--nope'/.test(err.message),
  );
});
