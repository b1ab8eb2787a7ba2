/** Reported by GET /v2. Kept equal to package.json's version (a test checks). */
export const VERSION = '0.1.0';
export const SERVER_NAME = 'inferd';
/** Protocol extensions this server implements. */
export const SERVER_EXTENSIONS: readonly string[] = [
  'binary_tensor_data',
  'classification',
  'model_configuration',
  'model_repository',
  'parameters',
  'statistics',
];
