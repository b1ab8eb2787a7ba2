/**
 * Feedback labels and live quality over HTTP:
 *
 * - `POST /v1/models/{model}/feedback` with `{"feedback": [{"id": "<request id>", "label": 1}, {"id": ...,
 *   "value": 3.2}]}` joins each label with the logged prediction of that model, with that request id, made by
 *   the same principal (auth on; scope infer:{model}), and answers the counts: `accepted`, `unknown` (no such
 *   prediction), `duplicate`, `unusable`, with the first unknown ids and unusable items.
 * - `POST /v1/feedback` (scope admin): the same, each item optionally naming its `model`; an id that names
 *   predictions of several models without one is unusable.
 * - `GET /v1/models/{model}/quality[?windows=1h,24h]`: per window and version, accuracy, precision/recall/F1 at
 *   the model's threshold, ROC AUC, log loss, MAE, RMSE and the label delay. At most `quality.max_windows`
 *   windows (400 above); computed in a worker thread, at most a few at a time (503 with Retry-After above).
 *
 * Both answer 404 when the prediction log is off (feedback is joined with it).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidArgumentError } from '../../errors/index.js';
import { parseDurationMs } from '../../lib/duration.js';
import { principalOf } from './auth-hook.js';
import type { ControlPlane } from '../../control/control-plane.js';
import type { FeedbackResult, QualityReport, VersionQuality } from '../../control/control-types.js';
import type { QualityWindowSpec } from '../../config/quality-config.js';

function parseBody(body: Buffer | undefined): unknown {
  try {
    return JSON.parse((body ?? Buffer.alloc(0)).toString('utf8'));
  } catch (err) {
    throw new InvalidArgumentError(
      `the body is not valid JSON (${(err as Error).message}); send {"feedback": [{"id": "<request id>", "label": 1}, ...]}`,
    );
  }
}

/** The windows asked for; more than `max`: 400 naming the limit, before any is parsed. */
function parseWindows(text: unknown, max: number): QualityWindowSpec[] | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== 'string')
    throw new InvalidArgumentError(
      `query parameter 'windows' is given more than once; give it once, e.g. windows=1h,24h`,
    );
  const list = text.split(',');
  if (list.length > max)
    throw new InvalidArgumentError(
      `windows: ${list.length} windows asked for; a quality report computes at most ${max} (quality.max_windows), e.g. windows=1h,24h`,
    );
  return list.map((w) => {
    const ms = parseDurationMs(w);
    if (ms === undefined)
      throw new InvalidArgumentError(
        `windows: '${w}' is not a duration; use a number and a unit (ms, s, m, h, d), e.g. windows=1h,24h`,
      );
    return { name: w.trim(), ms };
  });
}

function versionJson(v: VersionQuality) {
  const c = v.classification;
  const b = c?.binary;
  return {
    version: v.version,
    labels: v.labels,
    classification: c && {
      count: c.count,
      correct: c.correct,
      accuracy: c.accuracy,
      ...(b
        ? {
            positive_class: b.positiveClass,
            precision: b.precision,
            recall: b.recall,
            f1: b.f1,
            confusion: { tp: b.tp, fp: b.fp, tn: b.tn, fn: b.fn },
          }
        : {}),
      roc_auc: c.rocAuc,
      log_loss: c.logLoss,
    },
    regression: v.regression && { count: v.regression.count, mae: v.regression.mae, rmse: v.regression.rmse },
    label_delay_seconds: v.labelDelaySeconds,
  };
}

/** The report as JSON: snake_case keys, times as ISO strings. */
export function qualityReportJson(r: QualityReport) {
  return {
    model: r.model,
    windows: r.windows.map((w) => ({
      window: w.window,
      since: new Date(w.sinceMs).toISOString(),
      truncated: w.truncated,
      versions: w.versions.map(versionJson),
    })),
  };
}

export function registerFeedbackRoutes(app: FastifyInstance, control: ControlPlane): void {
  const answer = (reply: FastifyReply, r: FeedbackResult) => {
    const body = {
      accepted: r.accepted,
      unknown: r.unknown,
      duplicate: r.duplicate,
      unusable: r.unusable,
      unknown_ids: r.unknownIds,
      unusable_items: r.unusableItems,
    };
    return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(body));
  };

  app.post('/v1/feedback', async (req: FastifyRequest<{ Body: Buffer | undefined }>, reply: FastifyReply) => {
    return answer(reply, await control.feedback(parseBody(req.body), { principal: principalOf(req) }));
  });

  app.post(
    '/v1/models/:model/feedback',
    async (req: FastifyRequest<{ Params: { model: string }; Body: Buffer | undefined }>, reply: FastifyReply) => {
      return answer(
        reply,
        await control.feedback(parseBody(req.body), { principal: principalOf(req), model: req.params.model }),
      );
    },
  );

  app.get(
    '/v1/models/:model/quality',
    async (
      req: FastifyRequest<{ Params: { model: string }; Querystring: Record<string, unknown> }>,
      reply: FastifyReply,
    ) => {
      const maxWindows = control.maxQualityWindows(); // 404 when the prediction log is off
      const unknown = Object.keys(req.query).find((k) => k !== 'windows');
      if (unknown)
        throw new InvalidArgumentError(`unknown query parameter '${unknown}'; use windows (e.g. windows=1h,24h)`);
      const report = await control.qualityReport(req.params.model, parseWindows(req.query.windows, maxWindows));
      return reply
        .code(200)
        .header('content-type', 'application/json')
        .send(JSON.stringify(qualityReportJson(report)));
    },
  );
}
