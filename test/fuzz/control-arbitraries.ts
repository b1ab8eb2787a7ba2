/**
 * Requests to the HTTP endpoints beside inference, for the end-to-end fuzz properties: model control (load with
 * hostile config overrides, unload, index), feedback, traffic and rollouts, and the reports that take a query
 * string (events, quality, drift, predictions, statistics). Well-formed shapes with hostile values, and any JSON.
 */
import fc from 'fast-check';
import { hostileNumber, hostileString, hostileValue, toJsonText } from './arbitraries.js';

/** Percent-encodes any string, lone surrogates (which encodeURIComponent refuses) as U+FFFD. */
function uriEncoded(text: string): string {
  return encodeURIComponent(
    text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'),
  );
}

export interface ControlCase {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: Buffer;
}

const model = fc.oneof(
  { arbitrary: fc.constantFrom('digits', 'dtypes', 'two'), weight: 4 },
  { arbitrary: fc.constantFrom('nope', '..', '%2e%2e', '__proto__', 'a'.repeat(300), '%00'), weight: 1 },
  { arbitrary: hostileString.map(uriEncoded), weight: 1 },
);

/** A config override for a load request: plausible fields with hostile values. */
const configOverride = fc.record(
  {
    max_batch_size: fc.oneof(fc.integer({ min: -2, max: 64 }), hostileNumber),
    instance_group: fc.oneof(
      fc.constant([{ count: 1 }]),
      fc.array(
        fc.record(
          {
            count: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0, 1e6, 1.5)),
            kind: fc.constantFrom('KIND_CPU', 'KIND_GPU', 'x'),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
      hostileValue,
    ),
    dynamic_batching: fc.oneof(
      fc.constant({ max_queue_delay_microseconds: 100 }),
      fc.record({
        max_queue_delay_microseconds: hostileNumber,
        preferred_batch_size: fc.array(fc.integer({ min: -1, max: 100 }), { maxLength: 3 }),
      }),
      hostileValue,
    ),
    parameters: fc.oneof(
      fc.constant({ threshold: { string_value: '0.5' } }),
      fc.constant({ x: { string_value: 'file:/etc/passwd' } }),
      hostileValue,
    ),
    version_policy: fc.oneof(
      fc.constant({ latest: { num_versions: 1 } }),
      fc.constant({ specific: { versions: [2, 99] } }),
      hostileValue,
    ),
  },
  { requiredKeys: [] },
);

const loadBody = fc.oneof(
  fc.constant({}),
  configOverride.map((c) => ({ parameters: { config: toJsonText(c) } })),
  hostileValue.map((v) => ({ parameters: { config: v } })),
  fc
    .tuple(fc.constantFrom('file:1/model.onnx', 'file:../x', 'file:'), fc.string({ maxLength: 16 }))
    .map(([k, v]) => ({ parameters: { [k]: v } })),
  hostileValue,
);

const feedbackItem = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 8 }), hostileString),
    label: fc.oneof(fc.nat({ max: 12 }), hostileNumber),
    value: hostileNumber,
    row: fc.oneof(fc.nat({ max: 3 }), hostileNumber),
  },
  { requiredKeys: ['id'] },
);
const feedbackBody = fc.oneof(
  fc.array(feedbackItem, { maxLength: 5 }).map((feedback) => ({ feedback })),
  hostileValue,
);

const weights = fc.dictionary(
  fc.oneof(fc.constantFrom('1', '2', '3', '0', '-1'), hostileString),
  fc.oneof(fc.integer({ min: -10, max: 110 }), hostileNumber),
  { maxKeys: 3 },
);
const trafficBody = fc.oneof(
  weights.map((w) => ({ weights: w })),
  hostileValue,
);

const rolloutBody = fc.oneof(
  fc.record(
    {
      candidate: fc.oneof(fc.integer({ min: -1, max: 3 }), hostileNumber),
      stable: fc.oneof(fc.integer({ min: -1, max: 3 }), hostileNumber),
      steps: fc.oneof(
        fc.array(fc.oneof(fc.integer({ min: -5, max: 120 }), hostileNumber), { maxLength: 4 }),
        hostileValue,
      ),
      interval_ms: fc.oneof(fc.constantFrom(10, 1000, 60_000, 2 ** 31, -1, 0), hostileNumber),
      checks: fc.oneof(
        fc.constant({ error_rate: { max_increase: 0.01 } }),
        fc.constant({ paired_disagreement: {} }),
        hostileValue,
      ),
    },
    { requiredKeys: [] },
  ),
  hostileValue,
);

const queryValue = fc.oneof(
  fc.constantFrom('1', '0', '-1', '100000', '1e9', '', 'NaN', '1h', '5m', 'x'),
  hostileString.map(uriEncoded),
);
const query = fc
  .dictionary(
    fc.constantFrom(
      'windows',
      'window',
      'limit',
      'since',
      'until',
      'version',
      'model',
      'caller',
      'id',
      'cursor',
      'format',
      'after',
    ),
    queryValue,
    { maxKeys: 3 },
  )
  .map((q) =>
    Object.keys(q).length === 0
      ? ''
      : '?' +
        Object.entries(q)
          .map(([k, v]) => `${k}=${v}`)
          .join('&'),
  );

const post = (path: fc.Arbitrary<string>, body: fc.Arbitrary<unknown>): fc.Arbitrary<ControlCase> =>
  fc.tuple(path, body).map(([p, b]) => ({ method: 'POST', path: p, body: Buffer.from(toJsonText(b)) }));

/** Any request to an endpoint beside inference. */
export const controlCase: fc.Arbitrary<ControlCase> = fc.oneof(
  post(
    model.map((m) => `/v2/repository/models/${m}/load`),
    loadBody,
  ),
  post(
    model.map((m) => `/v2/repository/models/${m}/unload`),
    fc.oneof(fc.constant({}), fc.constant({ parameters: { unload_dependents: true } }), hostileValue),
  ),
  post(fc.constant('/v2/repository/index'), fc.oneof(fc.constant({}), fc.constant({ ready: true }), hostileValue)),
  post(fc.constant('/v1/feedback'), feedbackBody),
  post(
    model.map((m) => `/v1/models/${m}/traffic`),
    trafficBody,
  ),
  post(
    model.map((m) => `/v1/models/${m}/rollouts`),
    rolloutBody,
  ),
  post(
    fc
      .tuple(
        model,
        fc.constantFrom('1', '2', '0', 'latest', '%00'),
        fc.constantFrom('pause', 'resume', 'promote', 'abort', 'x'),
      )
      .map(([m, id, a]) => `/v1/models/${m}/rollouts/${id}/${a}`),
    fc.oneof(fc.constant({}), hostileValue),
  ),
  fc
    .tuple(model, fc.constantFrom('events', 'quality', 'drift', 'slo', 'traffic', 'rollouts', 'stats'), query)
    .map(([m, what, q]): ControlCase => ({
      method: 'GET',
      path: `/v${what === 'stats' ? 2 : 1}/models/${m}/${what}${q}`,
    })),
  query.map((q): ControlCase => ({ method: 'GET', path: `/v1/predictions${q}` })),
  // Any JSON (or non-JSON) to any of these paths.
  fc
    .tuple(
      fc.constantFrom(
        '/v2/repository/models/digits/load',
        '/v1/models/digits/rollouts',
        '/v1/feedback',
        '/v1/models/digits/traffic',
      ),
      fc.oneof(fc.string({ unit: 'binary', maxLength: 64 }), fc.constantFrom('', '{', '[]', 'null', '{"a":1}{"b":2}')),
    )
    .map(([path, text]): ControlCase => ({ method: 'POST', path, body: Buffer.from(text) })),
);
