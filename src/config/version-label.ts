/**
 * A model version's label: the name of its numbered folder in the repository, and a key of traffic weights.
 * 1 to 18 decimal digits without a leading zero (so 0, 007 and 1e3 are not versions).
 */
export const VERSION_LABEL_PATTERN = /^[1-9]\d{0,17}$/;

/** True when `text` is a version label such as '3'. */
export function isVersionLabel(text: string): boolean {
  return VERSION_LABEL_PATTERN.test(text);
}

/** A version number as text, wherever it leaves the core: URLs, answers (`model_version`), metrics, tables, folders. */
export function versionLabel(version: number): string {
  return version.toString(10);
}
