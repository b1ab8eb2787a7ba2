/**
 * The primary of `inferd serve --processes N`: it forks N serving processes with node:cluster, each a whole
 * server (its own scheduler and model workers) on the same HTTP and gRPC ports, and keeps them going. It serves no
 * inference itself. node:cluster's primary holds the listening sockets and hands each accepted connection to a
 * process in turn (round robin), so a process that dies or drains never takes queued connections with it.
 *
 * - **Metrics**: the primary serves the metrics port. A scrape asks every process for its exposition over IPC and
 *   answers with their sum (sum-expositions.ts) and the primary's own series (processes, ready, restarts).
 * - **Readiness**: each process's readiness includes "all N are ready", sent by the primary on every change.
 * - **Restarts**: a process that exits unasked is forked again under the same number, after a back-off that
 *   doubles with each start that fails before it is ready (100 ms to 30 s), and counted.
 * - **Canary lead**: one ready process leads the canary analysis (told with the ready count): the first to be
 *   ready, until it stops being ready; then the lowest-numbered ready one.
 * - **Stop**: SIGTERM or SIGINT is passed on as SIGTERM to every process, which drains as a single server does;
 *   the primary exits once all have (0 when every one exited 0). SIGHUP is passed on as it is.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { ServerConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import { isFromProcess, PROCESS_ENV, type FromPrimary } from './messages.js';
import { sumExpositions } from './sum-expositions.js';
import { requestsIn, supervisorMetrics } from './supervisor-metrics.js';

const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 30_000;
/** Failed starts of one process, before any was ready, after which the server gives up. */
const GIVE_UP_STARTS = 5;
/** A process that has not answered a metrics request by then is left out of that scrape. */
const METRICS_TIMEOUT_MS = 10_000;

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  ready: boolean;
  /** Starts in a row that ended before the process was ready. */
  failedStarts: number;
}

/** A port nothing listens on now (0 resolved once, so every process binds the same one). */
async function freePort(host: string): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs the primary until it is stopped; resolves with the exit code. */
export async function superviseProcesses(config: ServerConfig, logger: Logger): Promise<number> {
  const count = config.processes;
  const httpPort = config.httpPort === 0 ? await freePort(config.host) : config.httpPort;
  const grpcPort = config.grpcPort === 0 ? await freePort(config.host) : config.grpcPort;
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({
    index: i + 1,
    worker: undefined,
    ready: false,
    failedStarts: 0,
  }));
  const metrics = supervisorMetrics(() => slots);
  let stopping = false;
  let announced = false;
  let everReady = false;
  let stopAll: (why: string, code?: number) => void = () => undefined;
  let pendingMetrics = 0;
  const answers = new Map<number, (text: string) => void>();

  // The canary lead stays where it is while that process is ready (a restarted process does not take it back).
  let leading = 0;
  const leader = () => {
    if (!slots.some((s) => s.index === leading && s.ready)) leading = slots.find((s) => s.ready)?.index ?? 0;
    return leading;
  };
  const broadcast = () => {
    const message: FromPrimary = {
      inferd: 'peers',
      ready: slots.filter((s) => s.ready).length,
      total: count,
      leader: leader(),
    };
    for (const s of slots) if (s.worker?.isConnected()) s.worker.send(message);
  };

  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let metricsServer: Server | undefined;
  let metricsUrl: string | undefined;
  const announce = () => {
    if (announced || !slots.every((s) => s.ready)) return;
    announced = true;
    const url = `http://${host}:${httpPort}`;
    logger.info(
      {
        url,
        processes: count,
        grpc_url: grpcPort >= 0 ? `${host}:${grpcPort}` : undefined,
        metrics_url: metricsUrl,
        pid: process.pid,
      },
      `inferd listening on ${url} (${count} processes)`,
    );
  };

  const fork = (slot: Slot) => {
    const worker = cluster.fork({
      [PROCESS_ENV.index]: String(slot.index),
      [PROCESS_ENV.count]: String(count),
      [PROCESS_ENV.httpPort]: String(httpPort),
      [PROCESS_ENV.grpcPort]: String(grpcPort),
    });
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (m: unknown) => {
      if (!isFromProcess(m)) return;
      if (m.inferd === 'ready') {
        everReady = true;
        slot.ready = true;
        slot.failedStarts = 0;
        broadcast();
        announce();
      } else if (m.inferd === 'statistics') {
        const message: FromPrimary = { inferd: 'peer-statistics', from: slot.index, stats: m.stats, slo: m.slo };
        for (const s of slots) if (s !== slot && s.worker?.isConnected()) s.worker.send(message);
      } else answers.get(m.id)?.(m.text);
    });
    worker.on('exit', (code, signal) => {
      if (slot.worker !== worker) return;
      const wasReady = slot.ready;
      slot.worker = undefined;
      slot.ready = false;
      if (stopping) return;
      broadcast();
      // Its statistics end with it (as its metrics do): the others stop adding them.
      const gone: FromPrimary = { inferd: 'peer-statistics', from: slot.index, stats: [], slo: {} };
      for (const s of slots) if (s.worker?.isConnected()) s.worker.send(gone);
      const reason = signal ? `signal ${signal}` : `exit code ${code}`;
      metrics.restarts.inc({ reason: signal ? 'signal' : 'exit' });
      if (!wasReady) slot.failedStarts += 1;
      if (!everReady && slot.failedStarts >= GIVE_UP_STARTS) {
        // Never served: a start that fails every time (a config the processes refuse, a port taken) ends the server.
        logger.error(
          { process: slot.index, reason, starts: slot.failedStarts },
          `serving process ${slot.index} failed to start ${slot.failedStarts} times before any process was ready; stopping (its log above says why)`,
        );
        stopAll('start failed', 1);
        return;
      }
      const delay = Math.min(RESTART_MAX_MS, slot.failedStarts ? RESTART_MIN_MS * 2 ** (slot.failedStarts - 1) : 0);
      logger.error(
        { process: slot.index, pid: worker.process.pid, reason, restart_in_ms: delay },
        `serving process ${slot.index} ended unasked (${reason}); starting it again`,
      );
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, delay);
    });
  };

  /** The whole server's exposition: every connected process's, summed, and the primary's own. */
  const scrape = async (): Promise<string> => {
    const live = slots.filter((s) => s.worker?.isConnected());
    const texts = await Promise.all(
      live.map(
        (s) =>
          new Promise<string>((resolve) => {
            const id = ++pendingMetrics;
            const timer = setTimeout(() => done(''), METRICS_TIMEOUT_MS);
            const done = (text: string) => {
              clearTimeout(timer);
              answers.delete(id);
              resolve(text);
            };
            answers.set(id, done);
            try {
              s.worker?.send({ inferd: 'metrics?', id } satisfies FromPrimary);
            } catch {
              done('');
            }
          }),
      ),
    );
    // Per process, the requests it answered (inferd_requests_total summed): how evenly connections spread.
    const perProcess = [
      '# HELP inferd_process_requests_total Requests answered by each serving process since it started (inferd_requests_total of that process alone)',
      '# TYPE inferd_process_requests_total counter',
      ...live.map((s, i) => `inferd_process_requests_total{process="${s.index}"} ${requestsIn(texts[i])}`),
      '',
    ].join('\n');
    return sumExpositions([...texts, await metrics.registry.metrics(), perProcess]);
  };

  if (config.metricsPort >= 0) {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
        return;
      }
      scrape().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`),
      );
    });
    metricsServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: config.host, port: config.metricsPort }, resolve);
    });
    metricsUrl = `http://${host}:${(server.address() as AddressInfo).port}/metrics`;
  }

  cluster.setupPrimary({ exec: process.argv[1], args: process.argv.slice(2), silent: false });
  logger.info(
    { processes: count, http_port: httpPort, grpc_port: grpcPort, metrics_url: metricsUrl },
    `starting ${count} serving processes`,
  );
  for (const slot of slots) fork(slot);

  return new Promise<number>((resolve) => {
    const stop = (signal: string, exitCode = 0) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, processes: count }, 'shutting down: every serving process finishes its in-flight requests');
      const exits = slots
        .filter((s) => s.worker)
        .map((s) => {
          const worker = s.worker as Worker;
          return new Promise<number>((done) => {
            if (worker.isDead()) return done(worker.process.exitCode ?? 1);
            worker.once('exit', (code, sig) => done(sig ? 1 : (code ?? 1)));
            worker.process.kill('SIGTERM');
          });
        });
      // A process that outlives its own shutdown deadline is ended: the primary must not wait forever.
      const deadline = setTimeout(
        () => {
          for (const s of slots) if (s.worker && !s.worker.isDead()) s.worker.process.kill('SIGKILL');
        },
        config.shutdownDelayMs + config.shutdownTimeoutMs + 5_000,
      );
      deadline.unref();
      void Promise.all(exits).then(async (codes) => {
        clearTimeout(deadline);
        const closed = new Promise<void>((done) => (metricsServer ? metricsServer.close(() => done()) : done()));
        metricsServer?.closeAllConnections();
        await closed;
        const failed = codes.filter((c) => c !== 0).length;
        logger.info({ processes: count, failed_exits: failed }, 'inferd stopped');
        resolve(failed || exitCode ? 1 : 0);
      });
    };
    stopAll = stop;
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // SIGHUP re-reads the API keys and TLS files in every process (and must not end the primary).
    process.on('SIGHUP', () => {
      logger.info({ signal: 'SIGHUP', processes: count }, 'SIGHUP: passed on to every serving process');
      for (const s of slots) if (s.worker && !s.worker.isDead()) s.worker.process.kill('SIGHUP');
    });
  });
}
