/**
 * Every typed error carries a registered code of its own status class, so the status a caller gets and the code it
 * looks up always agree; a code of another class named by mistake gives way to the class's default.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigError,
  DeadlineExceededError,
  ERROR_CODES,
  InferenceError,
  InputMismatchError,
  InvalidArgumentError,
  ModelLoadError,
  ModelNotReadyError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitedError,
  RejectedInputError,
  UnauthenticatedError,
  UnavailableError,
  UnsupportedError,
  toInferenceError,
  type PublicErrorCode,
} from '../../src/errors/index.js';
import { ModelRepositoryError } from '../../src/repository/model-repository-error.js';
import { OverloadedError } from '../../src/scheduler/overloaded-error.js';
import { SHED_REASONS } from '../../src/scheduler/admission.js';
import { WarmupFileError } from '../../src/registry/warmup.js';
import { IntegrityRefusal } from '../../src/registry/integrity.js';
import { ModelFormatError } from '../../src/runtimes/tree/model-format-error.js';

const cases: ReadonlyArray<[InferenceError, PublicErrorCode]> = [
  [new InvalidArgumentError('m'), 'invalid_argument'],
  [new InputMismatchError('m'), 'input_mismatch'],
  [new RejectedInputError('m', 'r'), 'input_rejected'],
  [new NotFoundError('m'), 'not_found'],
  [new NotFoundError('m', 'model_not_found'), 'model_not_found'],
  [new ModelNotReadyError('m'), 'model_not_ready'],
  [new PayloadTooLargeError('m'), 'body_too_large'],
  [new UnavailableError('m'), 'unavailable'],
  [new DeadlineExceededError('m'), 'deadline_exceeded'],
  [new UnsupportedError('m'), 'unsupported'],
  [new ConfigError('m'), 'config_invalid'],
  [new ModelRepositoryError('missing', '/x', 'm'), 'repository_invalid'],
  [new ModelLoadError('m'), 'model_load_failed'],
  [new WarmupFileError('m'), 'warmup_failed'],
  [new IntegrityRefusal('m'), 'integrity_refused'],
  [new ModelFormatError('a.b', 'm'), 'model_format_invalid'],
  [new UnauthenticatedError('m'), 'unauthenticated'],
  [new PermissionDeniedError('m', 'admin'), 'permission_denied'],
  [new RateLimitedError('m', 1), 'rate_limited'],
  [toInferenceError(new Error('boom')), 'internal_error'],
];

test('each typed error carries its code, of its own status class', () => {
  for (const [err, code] of cases) {
    assert.equal(err.errorCode, code, err.name);
    assert.equal(ERROR_CODES[err.errorCode], err.code, `${err.name}: ${code} is of class ${err.code}`);
  }
});

test('an overloaded request carries a distinct code per reason, each of class UNAVAILABLE', () => {
  const codes = SHED_REASONS.map((reason) => new OverloadedError('m', reason, 0).errorCode);
  assert.equal(new Set(codes).size, SHED_REASONS.length, codes.join(', '));
  for (const code of codes) assert.equal(ERROR_CODES[code], 'UNAVAILABLE', code);
  assert.equal(new OverloadedError('m', 'queue_full', 0).errorCode, 'queue_full');
});

test('a code of another status class gives way to the class default', () => {
  assert.equal(new InferenceError('NOT_FOUND', 'm', { errorCode: 'queue_full' }).errorCode, 'not_found');
  assert.equal(new InferenceError('UNAVAILABLE', 'm', { errorCode: 'queue_full' }).errorCode, 'queue_full');
});
