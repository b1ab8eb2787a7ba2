/**
 * Secrets for the redaction tests: requests that carry them, and a check that a text does not.
 */
import assert from 'node:assert/strict';
import { DIGITS, inferDigits } from './audit-helpers.js';

/** Distinctive values: an FP32 that prints exactly, and an API key. */
export const SECRET_NUMBER = 4242.125;
export const SECRET_KEY = 'sk-SECRET-7f3a9c21';
export const REDACT = ['inputs.input', 'parameters.api_key'];

/** Successful and failing requests that all carry the secrets. */
export async function sendSecrets(url: string): Promise<void> {
  const values = DIGITS.inputs[0].map((v, i) => (i % 2 ? SECRET_NUMBER : v));
  const parameters = { api_key: SECRET_KEY };
  assert.equal(await inferDigits(url, { id: 'secret-ok', values, caller: 'redaction-test', parameters }), 200);
  assert.equal(await inferDigits(url, { id: 'secret-bad-shape', values: values.slice(0, 60), parameters }), 400);
  assert.equal(await inferDigits(url, { id: 'secret-no-model', values, parameters, model: 'no_such_model' }), 404);
  assert.equal(
    await inferDigits(url, { id: 'secret-bad-priority', values, parameters: { ...parameters, priority: 'high' } }),
    400,
  );
}

/** Fails naming where a secret was found. */
export function assertNoSecret(text: string, where: string): void {
  for (const secret of [String(SECRET_NUMBER), SECRET_KEY]) {
    const at = text.indexOf(secret);
    assert.equal(
      at,
      -1,
      `${where} holds the redacted value ${secret}: …${text.slice(Math.max(0, at - 120), at + 60)}…`,
    );
  }
}
