import assert from 'node:assert/strict';
import test from 'node:test';
import { isVersionLabel } from './version-label.js';

test('a version label is 1 to 18 digits without a leading zero', () => {
  for (const ok of ['1', '9', '10', '123456789012345678']) assert.ok(isVersionLabel(ok), ok);
  for (const bad of ['', '0', '007', '-1', '1.0', '1e3', ' 1', '1 ', 'v1', '1234567890123456789'])
    assert.ok(!isVersionLabel(bad), bad);
});
