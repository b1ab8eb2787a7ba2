/**
 * How a browser authenticates to the dashboard: HTTP Basic, the API key or JWT as the password (the user name is
 * ignored), which the browser then sends with the page's files, its event stream and its calls to the API.
 * Basic credentials count only on the dashboard's own routes and on requests carrying `x-inferd-ui` (a header
 * another site's page cannot send without a CORS preflight, which inferd never grants), so a browser's cached
 * credentials cannot be used by another origin to act. A 401 on those requests asks for Basic credentials.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The route config flag of the dashboard's routes. */
export const UI_ROUTE = 'inferdUi';

/** The header the page sends with its API calls. */
export const UI_HEADER = 'x-inferd-ui';

function fromUi(req: FastifyRequest): boolean {
  const config = req.routeOptions.config as unknown as Record<string, unknown> | undefined;
  return config?.[UI_ROUTE] === true || req.headers[UI_HEADER] !== undefined;
}

/**
 * `Authorization: Basic base64(user:secret)` on a dashboard request, as `Bearer secret`; any other header as is.
 */
export function uiAuthorization(req: FastifyRequest, authorization: string | undefined): string | undefined {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '')?.[1];
  if (basic === undefined || !fromUi(req)) return authorization;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const secret = colon < 0 ? '' : decoded.slice(colon + 1);
  return secret ? `Bearer ${secret}` : authorization;
}

/** A refused dashboard request asks the browser for credentials. */
export function registerUiChallenge(app: FastifyInstance): void {
  app.addHook('onSend', (req, reply, _payload, done) => {
    if (reply.statusCode === 401 && fromUi(req))
      void reply.header('www-authenticate', 'Basic realm="inferd", charset="UTF-8"');
    done();
  });
}
