/**
 * The traffic and rollout management API (JSON, snake_case):
 *
 * | method and path | what |
 * | --- | --- |
 * | `GET /v1/models/{m}/traffic` | policy (weights, sticky parameter, shadow), each version's share, state, load/warm-up times |
 * | `POST /v1/models/{m}/traffic` | change weights (`null`: highest ready answers), `sticky_parameter`, `shadow` (`null`: off) |
 * | `POST /v1/models/{m}/rollouts` | start a canary rollout (201); the body is a rollout spec (routing/rollout-spec.ts) |
 * | `GET /v1/models/{m}/rollouts[/{id}]` | rollouts with status, step, weight and the last decision's checks |
 * | `POST /v1/models/{m}/rollouts/{id}/pause|resume|promote|abort` | an operator's decision |
 * | `GET /v1/models/{m}/events?since=SEQ&limit=N` | every decision and lifecycle event, with its evidence |
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidArgumentError } from '../../errors/index.js';
import { parseJsonBody } from '../../protocol/v2-json.js';
import type { ControlPlane } from '../../control/control-plane.js';
import {
  OPERATOR_ACTIONS,
  type CheckResult,
  type CheckThresholds,
  type Rollout,
  type ShadowTotals,
  type TrafficView,
} from '../../control/control-types.js';

interface ModelParams {
  model: string;
}

interface RolloutParams extends ModelParams {
  id: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function bodyOf(body: Buffer | undefined): unknown {
  if (!body || body.length === 0) return {};
  const value = parseJsonBody(body.toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidArgumentError('the request body must be a JSON object');
  return value;
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(JSON.stringify(body));
}

/** Shadow counts, with agreement (classification) and mean absolute difference (regression) once rows compared. */
function shadowTotalsJson(t: ShadowTotals | undefined) {
  const rows = t?.rows ?? 0;
  return {
    mirrored: t?.mirrored ?? 0,
    dropped: t?.dropped ?? 0,
    errors: t?.errors ?? 0,
    rows_compared: rows,
    agreement: rows ? t!.agreeing / rows : null,
    mean_abs_difference: rows ? t!.absDiffSum / rows : null,
  };
}

/** A traffic view as JSON. */
export function trafficJson(t: TrafficView) {
  return {
    model: t.model,
    weights: t.weights ? Object.fromEntries(t.weights) : null,
    sticky_parameter: t.stickyParameter,
    shadow: t.shadow
      ? { version: t.shadow.version, sample_rate: t.shadow.sampleRate, ...shadowTotalsJson(t.shadowTotals) }
      : null,
    rollout: t.rollout
      ? { id: t.rollout.id, status: t.rollout.status, candidate: t.rollout.spec.candidate, weight: t.rollout.weight }
      : null,
    versions: t.versions.map((v) => ({
      version: v.version,
      state: v.state,
      share: v.share,
      failed: v.failed,
      load_ms: v.loadMs ?? null,
      warmup_ms: v.warmupMs ?? null,
      warmup_requests: v.warmupRequests ?? null,
      warmup_source: v.warmupSource ?? null,
      ready_at: iso(v.readyAt),
      cold_runs: v.coldRuns ?? null,
      integrity: v.integrity ?? 'off',
    })),
  };
}

function checksJson(c: CheckThresholds) {
  return {
    ...(c.errorRate
      ? { error_rate: { max_increase: c.errorRate.maxIncrease, min_samples: c.errorRate.minSamples } }
      : {}),
    ...(c.p99Latency
      ? {
          p99_latency: {
            max_ratio: c.p99Latency.maxRatio,
            tolerance_ms: c.p99Latency.toleranceMs,
            min_samples: c.p99Latency.minSamples,
          },
        }
      : {}),
    ...(c.predictionDivergence
      ? { prediction_divergence: { max: c.predictionDivergence.max, min_samples: c.predictionDivergence.minSamples } }
      : {}),
    ...(c.pairedDisagreement
      ? {
          paired_disagreement: {
            max_disagreement: c.pairedDisagreement.maxDisagreement,
            value_tolerance: c.pairedDisagreement.valueTolerance,
            confidence: c.pairedDisagreement.confidence,
            sample_rate: c.pairedDisagreement.sampleRate,
            min_samples: c.pairedDisagreement.minSamples,
          },
        }
      : {}),
    ...(c.shadowAgreement
      ? {
          shadow_agreement: {
            min_agreement: c.shadowAgreement.minAgreement,
            max_mean_abs_diff: c.shadowAgreement.maxMeanAbsDiff ?? null,
            min_samples: c.shadowAgreement.minSamples,
          },
        }
      : {}),
  };
}

function checkResultJson(c: CheckResult) {
  return {
    check: c.check,
    status: c.status,
    value: c.value ?? null,
    limit: c.limit,
    samples: c.samples,
    detail: c.detail,
  };
}

/** A rollout as JSON. */
export function rolloutJson(r: Rollout) {
  const d = r.lastDecision;
  return {
    id: r.id,
    model: r.model,
    candidate: r.spec.candidate,
    stable: r.stable,
    status: r.status,
    step: r.stepIndex,
    steps: r.spec.steps,
    weight: r.weight,
    interval_ms: r.spec.intervalMs,
    checks: checksJson(r.spec.checks),
    shadow: r.spec.shadow ? { sample_rate: r.spec.shadow.sampleRate } : null,
    started_at: iso(r.startedAt),
    step_started_at: iso(r.stepStartedAt),
    review_at: r.status === 'progressing' ? iso(r.reviewAt) : null,
    finished_at: iso(r.finishedAt),
    last_decision: d
      ? {
          action: d.action,
          by: d.by,
          at: iso(d.at),
          reason: d.reason,
          failed_checks: d.failed,
          checks: d.checks.map(checkResultJson),
        }
      : null,
  };
}

function queryInt(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(
      `query parameter '${name}' must be a non-negative integer, got '${String(value).slice(0, 32)}'`,
    );
  return n;
}

/** Registers the traffic, rollout and event routes. */
export function registerRolloutRoutes(app: FastifyInstance, control: ControlPlane): void {
  app.get('/v1/models/:model/traffic', async (req: FastifyRequest<{ Params: ModelParams }>, reply) =>
    sendJson(reply, 200, trafficJson(control.traffic(req.params.model))),
  );
  app.post(
    '/v1/models/:model/traffic',
    async (req: FastifyRequest<{ Params: ModelParams; Body: Buffer | undefined }>, reply) =>
      sendJson(reply, 200, trafficJson(control.setTraffic(req.params.model, bodyOf(req.body)))),
  );
  app.post(
    '/v1/models/:model/rollouts',
    async (req: FastifyRequest<{ Params: ModelParams; Body: Buffer | undefined }>, reply) =>
      sendJson(reply, 201, rolloutJson(control.startRollout(req.params.model, bodyOf(req.body)))),
  );
  app.get('/v1/models/:model/rollouts', async (req: FastifyRequest<{ Params: ModelParams }>, reply) =>
    sendJson(reply, 200, { rollouts: control.rollouts(req.params.model).map(rolloutJson) }),
  );
  app.get('/v1/models/:model/rollouts/:id', async (req: FastifyRequest<{ Params: RolloutParams }>, reply) =>
    sendJson(reply, 200, rolloutJson(control.rollout(req.params.model, req.params.id))),
  );
  for (const action of OPERATOR_ACTIONS) {
    app.post(
      `/v1/models/:model/rollouts/:id/${action}`,
      async (req: FastifyRequest<{ Params: RolloutParams; Body: Buffer | undefined }>, reply) => {
        bodyOf(req.body);
        return sendJson(reply, 200, rolloutJson(control.act(req.params.model, req.params.id, action)));
      },
    );
  }
  app.get(
    '/v1/models/:model/events',
    async (req: FastifyRequest<{ Params: ModelParams; Querystring: Record<string, unknown> }>, reply) => {
      const events = control.events(
        req.params.model,
        queryInt(req.query.since, 'since'),
        queryInt(req.query.limit, 'limit'),
      );
      return sendJson(reply, 200, { events });
    },
  );
}
