import { ModelFormatError } from './model-format-error.js';

/** Matches a JSON string literal (kept verbatim) or a bare non-finite token. */
const NON_FINITE_TOKENS = /"(?:[^"\\]|\\.)*"|NaN|Infinity/g;

/** Rewrites bare NaN / Infinity tokens (outside strings) into valid JSON. */
function repairNonFinite(text: string): string {
  return text.replace(NON_FINITE_TOKENS, (token) => {
    if (token === 'NaN') return 'null';
    if (token === 'Infinity') return '1e999'; // JSON.parse reads 1e999 as Infinity
    return token;
  });
}

/**
 * Parses the text of an XGBoost JSON model. XGBoost writes non-finite floats as bare
 * `NaN` / `Infinity` tokens (e.g. the `split_conditions` of categorical nodes), which
 * `JSON.parse` rejects; those are read as `null` (NaN) and ±Infinity respectively.
 * @throws ModelFormatError when the text is not JSON even after that repair.
 */
export function parseXGBoostJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (first) {
    try {
      return JSON.parse(repairNonFinite(text)) as unknown;
    } catch {
      const reason = first instanceof Error ? first.message : String(first);
      throw new ModelFormatError('', `not valid JSON (${reason})`);
    }
  }
}
