/**
 * The body of POST /v1/feedback, checked: `{"feedback": [{"id": "<request id>", "label": 1}, {"id": ..., "value":
 * 3.2}, ...]}`. `label` is a class index (classifiers), `value` a true value (regression); `row` (default 0) says
 * which row of a batched request the label is for. Pure.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { FeedbackKind } from './feedback-outcome.js';

export interface FeedbackItem {
  readonly id: string;
  readonly row: number;
  readonly kind: FeedbackKind;
  /** The true class index or value. */
  readonly target: number;
}

const EXAMPLE = '{"feedback": [{"id": "<request id>", "label": 1}, {"id": "<request id>", "value": 3.2}]}';

function item(x: unknown, i: number): FeedbackItem {
  const at = `feedback[${i}]`;
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new InvalidArgumentError(`${at} is not an object; each item is {"id": "<request id>", "label": <class>} or {"id": ..., "value": <number>}`);
  const o = x as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !['id', 'label', 'value', 'row'].includes(k));
  if (unknown) throw new InvalidArgumentError(`${at} has an unknown field '${unknown}'; use id, label or value, and row`);
  if (typeof o.id !== 'string' || o.id === '') throw new InvalidArgumentError(`${at}.id must be the request id (a non-empty string) of the prediction being labelled`);
  const row = o.row ?? 0;
  if (typeof row !== 'number' || !Number.isInteger(row) || row < 0) throw new InvalidArgumentError(`${at}.row must be a row index (an integer from 0), got ${JSON.stringify(row)}`);
  if ((o.label === undefined) === (o.value === undefined)) throw new InvalidArgumentError(`${at} needs exactly one of 'label' (a class index, for classifiers) and 'value' (a number, for regression)`);
  if (o.label !== undefined) {
    if (typeof o.label !== 'number' || !Number.isInteger(o.label) || o.label < 0) throw new InvalidArgumentError(`${at}.label must be a class index (an integer from 0), got ${JSON.stringify(o.label)}`);
    return { id: o.id, row, kind: 'label', target: o.label };
  }
  if (typeof o.value !== 'number' || !Number.isFinite(o.value)) throw new InvalidArgumentError(`${at}.value must be a finite number, got ${JSON.stringify(o.value)}`);
  return { id: o.id, row, kind: 'value', target: o.value };
}

/** The items of a feedback body; throws InvalidArgumentError naming the first bad item. */
export function parseFeedbackBody(body: unknown, maxBatch: number): FeedbackItem[] {
  const list = typeof body === 'object' && body !== null ? (body as { feedback?: unknown }).feedback : undefined;
  if (!Array.isArray(list)) throw new InvalidArgumentError(`the body must be ${EXAMPLE}`);
  if (list.length > maxBatch) throw new InvalidArgumentError(`${list.length} feedback items in one request; send at most ${maxBatch} (quality.max_batch) per request`);
  return list.map(item);
}
