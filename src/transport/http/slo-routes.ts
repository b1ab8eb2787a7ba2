/**
 * `GET /v1/models/{model}/slo`: the model's SLIs over its budget window, the error budget remaining, burn rates
 * over the multiwindow pairs (5m/1h, 30m/6h, 2h/1d, 6h/3d) and which burn-rate alerts would fire, computed in
 * process from the requests this server answered since it started. 404 when the model has no `slo:`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceService } from '../../inference/inference-service.js';
import type { AlertState, SliReport, SloReport } from '../../slo/slo-tracker.js';

function alertJson(a: AlertState) {
  return {
    alert: a.alert,
    severity: a.severity,
    firing: a.firing,
    conditions: a.conditions.map((c) => ({
      long_window: c.longWindow,
      short_window: c.shortWindow,
      burn_rate: c.burnRate,
      firing: c.firing,
    })),
  };
}

function sliJson(s: SliReport) {
  return {
    objective: s.objective,
    ...(s.thresholdMs !== undefined ? { threshold_ms: s.thresholdMs } : {}),
    window: s.window,
    error_budget_remaining: s.errorBudgetRemaining,
    burn_rates: s.burnRates,
    alerts: s.alerts.map(alertJson),
  };
}

/** The report as JSON: snake_case keys, times as ISO strings, SLIs by kind. */
export function sloReportJson(r: SloReport) {
  return {
    model: r.model,
    window_days: r.windowDays,
    since: r.sinceMs === null ? null : new Date(r.sinceMs).toISOString(),
    slis: Object.fromEntries(r.slis.map((s) => [s.kind, sliJson(s)])),
  };
}

export function registerSloRoutes(app: FastifyInstance, data: InferenceService): void {
  app.get('/v1/models/:model/slo', async (req: FastifyRequest<{ Params: { model: string } }>, reply: FastifyReply) => {
    const body = sloReportJson(data.slo.report(req.params.model));
    return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(body));
  });
}
