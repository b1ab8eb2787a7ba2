/**
 * How a model version number is spelled wherever it leaves the core as text: in URLs, answers (`model_version`),
 * metrics labels, tables and version folder names. One home, so every place spells it alike.
 */
export function versionLabel(version: number): string {
  return version.toString(10);
}
