/**
 * Composition root of the server: config → core → HTTP front end; stops in reverse order.
 */
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from './config/index.js';
import { Inferd } from './inferd.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { buildHttpApp } from './transport/http/http-app.js';

export interface RunningServer {
  readonly inferd: Inferd;
  /** Base URL of the HTTP endpoint, e.g. http://127.0.0.1:8000. */
  readonly url: string;
  readonly port: number;
  /** Graceful stop: refuse new work, answer everything accepted, stop the models. */
  close(): Promise<void>;
}

/** Loads the models and starts listening. */
export async function startServer(config: ServerConfig, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const started = performance.now();
  logger.info({ model_repository: config.modelRepository }, 'loading models');
  const inferd = await Inferd.create({ modelRepository: config.modelRepository, logger });
  let accepting = true;
  const app = buildHttpApp({
    service: inferd.service,
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    strictReadiness: config.strictReadiness,
    accepting: () => accepting,
  });
  try {
    await app.listen({ host: config.host, port: config.httpPort });
  } catch (err) {
    await inferd.stop();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  for (const e of inferd.service.index()) {
    logger.info({ model: e.name, version: e.version, state: e.state, reason: e.reason }, `model ${e.name}${e.version ? ` v${e.version}` : ''}: ${e.state}`);
  }
  logger.info({ url, startup_ms: Math.round(performance.now() - started) }, `inferd listening on ${url}`);
  let closing: Promise<void> | undefined;
  return {
    inferd,
    url,
    port,
    close: () => {
      closing ??= (async () => {
        accepting = false;
        await app.close();
        await inferd.stop();
        logger.info('inferd stopped');
      })();
      return closing;
    },
  };
}
