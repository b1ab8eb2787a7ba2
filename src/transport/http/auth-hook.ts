/**
 * The HTTP side of the security gate: a fastify `onRequest` hook (so refusals come before the body is read)
 * that says what each route does and hands the credentials to the gate. Health endpoints stay open.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Action, Credentials, Principal } from '../../security/principal.js';
import type { SecurityGate } from '../../security/security-gate.js';
import { uiAuthorization } from './ui/ui-credentials.js';

/**
 * What a route does: health is open, inference needs the model's scope, writes are admin, the rest is read.
 * Labelling a model's own predictions (POST /v1/models/{m}/feedback) needs the model's inference scope: the join
 * only ever reaches the caller's own predictions.
 */
export function httpAction(method: string, route: string | undefined): Action {
  if (route?.startsWith('/v2/health/')) return 'open';
  if (method === 'POST' && route && (route.endsWith('/infer') || route.endsWith('::predict'))) return 'infer';
  if (method === 'POST' && route === '/v1/models/:model/feedback') return 'infer';
  // The prediction log holds callers' inputs: admin only.
  if (route === '/v1/predictions') return 'admin';
  if (method === 'POST' && route !== '/v2/repository/index') return 'admin';
  return 'read';
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The credentials a request carries: `Authorization: Bearer ...` or `x-api-key`; from the dashboard, also HTTP
 * Basic with the key or JWT as the password (ui/ui-credentials.ts).
 */
export function httpCredentials(req: FastifyRequest): Credentials {
  return { authorization: uiAuthorization(req, header(req, 'authorization')), apiKey: header(req, 'x-api-key') };
}

/** The principal each authenticated request was admitted as (auth on only). */
const principals = new WeakMap<FastifyRequest, Principal>();

/**
 * The id of the principal the request authenticated as (`key:<name>`, `jwt:<issuer>:<sub>`); undefined when auth
 * is off. This, never a header the client fills, is who the request is for the audit trail and feedback.
 */
export function principalOf(req: FastifyRequest): string | undefined {
  return principals.get(req)?.id;
}

/** Adds the hook; it runs before route hooks (the queue admission check), so a refused caller costs nothing. */
export function registerAuthHook(app: FastifyInstance, gate: SecurityGate): void {
  // A callback hook, not an async one: with auth off and no model limits the gate has nothing to wait for, and
  // every request would otherwise pay for a promise here.
  app.addHook('onRequest', (req, _reply, done) => {
    const action = httpAction(req.method, req.routeOptions.url);
    if (action === 'open' || gate.admitsEveryone) return done();
    const model = (req.params as { model?: string } | undefined)?.model;
    gate.check({ credentials: httpCredentials(req), action, model }).then((principal) => {
      if (principal && gate.authenticates) principals.set(req, principal);
      done();
    }, done);
  });
}
