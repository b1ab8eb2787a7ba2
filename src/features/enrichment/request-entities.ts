/**
 * Reads `parameters.entities` of a request: `{"user_id": ["u1", "u2"], "merchant_id": ["m1", "m2"]}`, one value
 * per row. Over gRPC, where parameters are scalars, the same object may come as a JSON string.
 */
import type { FeatureViewConfig } from '../../config/index.js';
import { InvalidArgumentError } from '../../errors/index.js';
import { entityValue } from '../ingest-rows.js';
import type { EntityKey } from '../types.js';
import type { Parameters } from '../../inference/types.js';

export type EntityColumns = Readonly<Record<string, readonly unknown[]>>;

function example(names: readonly string[]): string {
  return JSON.stringify({ entities: Object.fromEntries(names.map((n) => [n, ['...']])) });
}

/** The entity columns of a request, checked for shape; undefined when the request has none. */
export function readEntities(parameters: Parameters | undefined, needed: readonly string[]): EntityColumns | undefined {
  let raw = parameters?.entities;
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new InvalidArgumentError(
        `parameter 'entities' is a string but not JSON; send an object such as ${example(needed)}`,
      );
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidArgumentError(
      `parameter 'entities' must be an object of entity name → values (one per row), e.g. ${example(needed)}`,
    );
  }
  const columns = raw as Record<string, unknown>;
  for (const [name, values] of Object.entries(columns)) {
    if (!Array.isArray(values) || values.length === 0)
      throw new InvalidArgumentError(`entities.${name} must be a non-empty array with one value per row`);
  }
  return columns as EntityColumns;
}

/** The number of rows the entity columns describe; they must agree. */
export function entityRows(columns: EntityColumns): number {
  const lengths = Object.entries(columns).map(([n, v]) => [n, v.length] as const);
  const odd = lengths.find(([, l]) => l !== lengths[0][1]);
  if (odd)
    throw new InvalidArgumentError(
      `entities.${lengths[0][0]} has ${lengths[0][1]} values but entities.${odd[0]} has ${odd[1]}; give one value per row in each`,
    );
  return lengths[0][1];
}

/** The entity keys of a view, one per row. */
export function viewKeys(view: FeatureViewConfig, columns: EntityColumns): EntityKey[] {
  const missing = view.entities.filter((e) => !(e.name in columns)).map((e) => e.name);
  if (missing.length) {
    throw new InvalidArgumentError(
      `feature view '${view.name}' needs entities.${missing.join(' and entities.')}, which the request does not have; send e.g. ${example(view.entities.map((e) => e.name))}`,
    );
  }
  const rows = columns[view.entities[0].name].length;
  return Array.from({ length: rows }, (_, r) =>
    view.entities.map((e, i) => entityValue(view, i, columns[e.name][r], `entities.${e.name}[${r}]`)),
  );
}
