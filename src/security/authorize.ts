/**
 * The authorization policy, pure: a principal, an action and a model in, the missing scope (or nothing) out.
 *
 * - `open` needs no scope (and no principal); `read` needs any authenticated principal;
 * - `infer` needs `infer:<model>` or `infer:*`; `admin` needs `admin`.
 */
import type { Action, Principal } from './principal.js';

/** The scope an action on a model needs, or undefined when being authenticated is enough. */
export function requiredScope(action: Action, model?: string): string | undefined {
  if (action === 'admin') return 'admin';
  if (action === 'infer') return `infer:${model ?? '*'}`;
  return undefined;
}

/**
 * Undefined when `principal` may do `action` (on `model`); otherwise the scope it lacks.
 *
 * @example authorize({ scopes: new Set(['infer:digits']), ... }, 'infer', 'digits') // → undefined
 */
export function authorize(principal: Pick<Principal, 'scopes'>, action: Action, model?: string): string | undefined {
  const scope = requiredScope(action, model);
  if (scope === undefined || principal.scopes.has(scope)) return undefined;
  if (action === 'infer' && principal.scopes.has('infer:*')) return undefined;
  return scope;
}
