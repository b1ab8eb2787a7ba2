import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, InvalidArgumentError } from '../errors/index.js';
import { assertModelName, assertPlainFileName, assertSafeConfigOverride, unsafeFileName } from './model-names.js';

describe('model names and config file names', () => {
  it('accepts model folder names and refuses anything that could leave the repository', () => {
    for (const ok of ['digits', 'fraud_xgb', 'a.b-c', 'x'.repeat(128), '9lives'])
      assert.doesNotThrow(() => assertModelName(ok));
    for (const bad of [
      '',
      '.',
      '..',
      '../digits',
      'a/b',
      'a\\b',
      '/etc',
      'a\0b',
      '.hidden',
      '-x',
      'x'.repeat(129),
      'C:model',
    ]) {
      assert.throws(
        () => assertModelName(bad),
        (e: unknown) => e instanceof InvalidArgumentError && /invalid model name .*letters, digits/.test(e.message),
        bad,
      );
    }
  });

  it('cuts a long name in the message', () => {
    assert.throws(
      () => assertModelName('/'.repeat(10_000)),
      (e: Error) => e.message.length < 300,
    );
  });

  it('says why a file name is not a plain name inside its folder', () => {
    assert.equal(unsafeFileName('model.onnx'), undefined);
    assert.equal(unsafeFileName('..'), 'it is not a file name');
    assert.equal(unsafeFileName('../x.onnx'), 'it contains a path separator');
    assert.equal(unsafeFileName('/etc/passwd'), 'it contains a path separator');
    assert.equal(unsafeFileName('..\\x.onnx'), 'it contains a path separator');
    assert.equal(unsafeFileName('C:x.onnx'), 'it is an absolute path');
    assert.equal(unsafeFileName('m\0.onnx'), 'it contains a NUL character');
    assert.throws(
      () => assertPlainFileName('../../outside.onnx', 'default_model_filename', 'digits/config.yaml'),
      (e: unknown) =>
        e instanceof ConfigError &&
        /^digits\/config\.yaml: default_model_filename "\.\.\/\.\.\/outside\.onnx" must be a file name inside the version folder, but it contains a path separator$/.test(
          e.message,
        ),
    );
  });

  it('refuses an override that renames the model or points outside the version folder', () => {
    assert.doesNotThrow(() =>
      assertSafeConfigOverride('digits', { name: 'digits', defaultModelFilename: 'model.onnx' }),
    );
    assert.throws(() => assertSafeConfigOverride('digits', { name: 'other' }), /is not the model being loaded/);
    assert.throws(
      () => assertSafeConfigOverride('digits', { defaultModelFilename: '../x/model.onnx' }),
      /default_model_filename/,
    );
  });
});
