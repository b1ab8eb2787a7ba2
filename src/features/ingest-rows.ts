/**
 * Turns ingestion records (a JSON object per row from POST /v1/features/{view}, or a CSV record) into rows to
 * write. A record is flat: the view's entity columns, `event_time` (ISO 8601) or `event_time_ms` (ms since the
 * epoch), and feature columns (empty or null = missing). Every problem names the row and the column.
 */
import type { FeatureViewConfig } from '../config/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import { checkFeatureValue } from './feature-validation.js';
import type { FeatureValue, WriteRow } from './types.js';

const TIME_COLUMNS = new Set(['event_time', 'event_time_ms']);

/** Reads an entity value: a string, or an integer for INT64 entities. */
export function entityValue(view: FeatureViewConfig, index: number, raw: unknown, where: string): string {
  const spec = view.entities[index];
  const text = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
  if (typeof text !== 'string' || text === '') {
    throw new InvalidArgumentError(
      `${where}: entity '${spec.name}' needs a value (a string${spec.type === 'INT64' ? ' or an integer' : ''}), got ${JSON.stringify(raw) ?? 'nothing'}`,
    );
  }
  if (spec.type === 'INT64' && !/^-?\d{1,19}$/.test(text)) {
    throw new InvalidArgumentError(
      `${where}: entity '${spec.name}' is INT64, but ${JSON.stringify(raw)} is not an integer`,
    );
  }
  return text;
}

function eventTimeMs(record: Readonly<Record<string, unknown>>, where: string): number {
  const iso = record.event_time;
  const ms = record.event_time_ms;
  if (iso !== undefined && iso !== '') {
    const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
    if (Number.isNaN(t))
      throw new InvalidArgumentError(
        `${where}: event_time ${JSON.stringify(iso)} is not an ISO 8601 time such as 2026-11-01T12:00:00Z`,
      );
    return t;
  }
  const t = typeof ms === 'string' && ms.trim() !== '' ? Number(ms) : ms;
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    throw new InvalidArgumentError(
      `${where}: give the row's event time as event_time (ISO 8601) or event_time_ms (integer ms since the epoch)`,
    );
  }
  return t;
}

function featureValue(view: FeatureViewConfig, name: string, raw: unknown, where: string): FeatureValue {
  const spec = view.features.find((f) => f.name === name);
  if (!spec) {
    throw new InvalidArgumentError(
      `${where}: column '${name}' is not a feature or entity of view '${view.name}' (features: ${view.features.map((f) => f.name).join(', ')})`,
    );
  }
  const checked = checkFeatureValue(spec, raw);
  if (checked.kind === 'invalid') throw new InvalidArgumentError(`${where}: feature '${name}': ${checked.why}`);
  return checked.kind === 'ok' ? checked.value : null;
}

/** Validates one record into a row. */
export function toWriteRow(
  view: FeatureViewConfig,
  record: Readonly<Record<string, unknown>>,
  where: string,
): WriteRow {
  const entity = view.entities.map((e, i) => entityValue(view, i, record[e.name], where));
  const values: Record<string, FeatureValue> = {};
  for (const [name, raw] of Object.entries(record)) {
    if (TIME_COLUMNS.has(name) || view.entities.some((e) => e.name === name)) continue;
    values[name] = featureValue(view, name, raw, where);
  }
  return { entity, eventTimeMs: eventTimeMs(record, where), values };
}

/** Reads a `{"rows": [{...}, ...]}` ingestion body. */
export function rowsFromJson(view: FeatureViewConfig, body: unknown): WriteRow[] {
  const rows = (body as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new InvalidArgumentError(
      `the body must be {"rows": [{"${view.entities[0].name}": "...", "event_time": "2026-11-01T12:00:00Z", "${view.features[0].name}": 1}, ...]}`,
    );
  }
  return rows.map((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw new InvalidArgumentError(`rows[${i}] must be a JSON object of column → value`);
    return toWriteRow(view, r as Record<string, unknown>, `rows[${i}]`);
  });
}
