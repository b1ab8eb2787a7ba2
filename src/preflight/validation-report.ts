/**
 * What `inferd validate` found: one line per check and version, each pass, warn (it will serve, but not as well
 * as it could: what and why), fail (with the reason) or skip (nothing to check, with why). A model is valid when
 * no check failed.
 */

export type CheckName = 'config' | 'versions' | 'integrity' | 'load' | 'warm-up' | 'reference outputs';

export interface ValidationCheck {
  readonly check: CheckName;
  /** The version checked; undefined for checks of the model as a whole. */
  readonly version?: number | undefined;
  readonly status: 'pass' | 'warn' | 'fail' | 'skip';
  /** What was found: the facts on a pass, what is wrong and what to do on a fail. */
  readonly detail: string;
}

export interface ValidationReport {
  readonly model: string;
  readonly dir: string;
  readonly checks: readonly ValidationCheck[];
  /** True when no check failed. */
  readonly ok: boolean;
}

export const pass = (check: CheckName, detail: string, version?: number): ValidationCheck => ({
  check,
  version,
  status: 'pass',
  detail,
});
export const warn = (check: CheckName, detail: string, version?: number): ValidationCheck => ({
  check,
  version,
  status: 'warn',
  detail,
});
export const fail = (check: CheckName, detail: string, version?: number): ValidationCheck => ({
  check,
  version,
  status: 'fail',
  detail,
});
export const skip = (check: CheckName, detail: string, version?: number): ValidationCheck => ({
  check,
  version,
  status: 'skip',
  detail,
});

export function reportOf(model: string, dir: string, checks: readonly ValidationCheck[]): ValidationReport {
  return { model, dir, checks, ok: checks.every((c) => c.status !== 'fail') };
}
