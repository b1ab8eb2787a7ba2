import assert from 'node:assert/strict';
import test from 'node:test';
import { fmix32 } from './hash.js';

test('fmix32 is MurmurHash3 finaliser: zero stays zero, other inputs spread to unsigned 32-bit values', () => {
  assert.equal(fmix32(0), 0);
  assert.equal(fmix32(1), 0x514e28b7); // fmix32(1) of MurmurHash3.cpp
  assert.equal(fmix32(-1), fmix32(0xffffffff), 'a signed input hashes as its 32 bits');
  assert.ok(fmix32(-1) >= 0 && fmix32(-1) < 2 ** 32);
});
