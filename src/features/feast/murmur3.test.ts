import assert from 'node:assert/strict';
import { test } from 'node:test';
import { murmur3x86_32 } from './murmur3.js';

test('matches the published MurmurHash3_x86_32 test vectors', () => {
  // From SMHasher's verification set and common references (seed, input → hash).
  const vectors: Array<[string, number, number]> = [
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['test', 0, 0xba6bd213],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['aa', 0x9747b28c, 0x5d211726],
    ['a', 0x9747b28c, 0x7fa09ea6],
  ];
  for (const [input, seed, expected] of vectors)
    assert.equal(murmur3x86_32(input, seed), expected, `${JSON.stringify(input)} seed ${seed}`);
});

test("equals Python mmh3.hash(key, signed=False), as Feast's _mmh3 uses it", () => {
  // mmh3's documentation: mmh3.hash("foo") == -156908512 (signed), i.e. 4138058784 unsigned.
  assert.equal(murmur3x86_32('foo'), 4138058784);
});

test('hashes strings as UTF-8', () => {
  assert.equal(murmur3x86_32('ü'), murmur3x86_32(new Uint8Array([0xc3, 0xbc])));
});
