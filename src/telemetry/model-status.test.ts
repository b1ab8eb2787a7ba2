import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelStatusTable } from './model-status.js';

test('the status table lists every model and version with its state and, when unavailable, why', () => {
  const table = modelStatusTable([
    { name: 'digits', version: 1, state: 'READY' },
    { name: 'broken', version: 2, state: 'UNAVAILABLE', reason: 'model.onnx: protobuf\nparsing failed' },
    { name: 'never', state: 'UNAVAILABLE', reason: 'not loaded' },
  ]);
  assert.equal(
    table,
    [
      '+--------+---------+--------------------------------------------------+',
      '| Model  | Version | Status                                           |',
      '+--------+---------+--------------------------------------------------+',
      '| digits | 1       | READY                                            |',
      '| broken | 2       | UNAVAILABLE: model.onnx: protobuf parsing failed |',
      '| never  | -       | UNAVAILABLE: not loaded                          |',
      '+--------+---------+--------------------------------------------------+',
    ].join('\n'),
  );
});
