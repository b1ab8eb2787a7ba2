/**
 * The parameters a load request may carry (Triton's repository extension), checked the same way on every door.
 */
import { InvalidArgumentError } from '../errors/index.js';

/**
 * Refuses load parameters other than `config`. Triton's `file:<version>/<name>` parameters carry model files in
 * the request; inferd loads only what is in its repository, so it says so instead of loading something else.
 */
export function assertLoadParameters(names: readonly string[]): void {
  const file = names.find((n) => n.startsWith('file:'));
  if (file !== undefined) {
    throw new InvalidArgumentError(
      `load parameter '${shownName(file)}' is not supported: inferd does not take model files in a load request; copy the files into the model repository, then load the model by name`,
    );
  }
  const other = names.find((n) => n !== 'config');
  if (other !== undefined)
    throw new InvalidArgumentError(
      `unknown load parameter '${shownName(other)}'; the only one inferd takes is 'config' (the model config as JSON)`,
    );
}

function shownName(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}...` : name;
}
