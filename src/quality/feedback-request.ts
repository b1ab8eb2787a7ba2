/**
 * The body of POST /v1/models/{model}/feedback (and POST /v1/feedback), checked: `{"feedback": [{"id": "<request
 * id>", "label": 1}, {"id": ..., "value": 3.2}, ...]}`. `label` is a class index (classifiers), `value` a true
 * value (regression); `row` (default 0) says which row of a batched request the label is for; `model` names the
 * model of the prediction (on POST /v1/feedback; on the model's own route it may only repeat that model). Pure.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { FeedbackKind } from './feedback-outcome.js';

/** The longest request id an inference request may carry (MAX_REQUEST_ID_LENGTH in inference/validate-request.ts). */
const MAX_REQUEST_ID_LENGTH = 256;

export interface FeedbackItem {
  readonly id: string;
  /** The model of the prediction being labelled, when the item names it. */
  readonly model?: string | undefined;
  readonly row: number;
  readonly kind: FeedbackKind;
  /** The true class index or value. */
  readonly target: number;
}

const EXAMPLE = '{"feedback": [{"id": "<request id>", "label": 1}, {"id": "<request id>", "value": 3.2}]}';

function item(x: unknown, i: number): FeedbackItem {
  const at = `feedback[${i}]`;
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new InvalidArgumentError(
      `${at} is not an object; each item is {"id": "<request id>", "label": <class>} or {"id": ..., "value": <number>}`,
    );
  const o = x as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !['id', 'label', 'value', 'row', 'model'].includes(k));
  if (unknown)
    throw new InvalidArgumentError(
      `${at} has an unknown field '${unknown.slice(0, 64)}'; use id, label or value, row, and model`,
    );
  if (typeof o.id !== 'string' || o.id === '' || o.id.length > MAX_REQUEST_ID_LENGTH) {
    throw new InvalidArgumentError(
      `${at}.id must be the request id (a non-empty string of at most ${MAX_REQUEST_ID_LENGTH} characters) of the prediction being labelled`,
    );
  }
  if (o.model !== undefined && (typeof o.model !== 'string' || o.model === '' || o.model.length > 128)) {
    throw new InvalidArgumentError(`${at}.model must be the name of the model that made the prediction`);
  }
  const model = o.model as string | undefined;
  const row = o.row ?? 0;
  if (typeof row !== 'number' || !Number.isInteger(row) || row < 0)
    throw new InvalidArgumentError(`${at}.row must be a row index (an integer from 0), got ${JSON.stringify(row)}`);
  if ((o.label === undefined) === (o.value === undefined))
    throw new InvalidArgumentError(
      `${at} needs exactly one of 'label' (a class index, for classifiers) and 'value' (a number, for regression)`,
    );
  if (o.label !== undefined) {
    if (typeof o.label !== 'number' || !Number.isInteger(o.label) || o.label < 0)
      throw new InvalidArgumentError(
        `${at}.label must be a class index (an integer from 0), got ${JSON.stringify(o.label)}`,
      );
    return { id: o.id, model, row, kind: 'label', target: o.label };
  }
  if (typeof o.value !== 'number' || !Number.isFinite(o.value))
    throw new InvalidArgumentError(`${at}.value must be a finite number, got ${JSON.stringify(o.value)}`);
  return { id: o.id, model, row, kind: 'value', target: o.value };
}

/** The items of a feedback body; throws InvalidArgumentError naming the first bad item. */
export function parseFeedbackBody(body: unknown, maxBatch: number): FeedbackItem[] {
  const list = typeof body === 'object' && body !== null ? (body as { feedback?: unknown }).feedback : undefined;
  if (!Array.isArray(list)) throw new InvalidArgumentError(`the body must be ${EXAMPLE}`);
  if (list.length > maxBatch)
    throw new InvalidArgumentError(
      `${list.length} feedback items in one request; send at most ${maxBatch} (quality.max_batch) per request`,
    );
  return list.map(item);
}
