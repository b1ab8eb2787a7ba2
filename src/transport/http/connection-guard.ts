/**
 * Slow and idle clients on an HTTP port: timeouts for the request head, the whole request, keep-alive and idle
 * sockets, and a cap on open connections. A client that opens sockets and sends nothing (or half a request head)
 * cannot hold the port: at the cap a connection without a request in progress is closed to make room (one never
 * served before a kept-alive one, the longest waiting first), and only when every connection is busy with a
 * request is a new one refused. Every refusal
 * and cut-off is counted (telemetry/connection-metrics.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { PublicErrorCode } from '../../errors/index.js';
import type { ConnectionMetrics, Listener, RequestRefusalReason } from '../../telemetry/connection-metrics.js';

export interface HttpConnectionLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

/** What the guard knows of one connection's current request. */
interface InProgress {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/** How often node checks the head and request timeouts: a tenth of the shorter one, between 50 ms and 1 s. */
export function checkingIntervalMs(limits: HttpConnectionLimits): number {
  return Math.max(50, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10)));
}

export class ConnectionGuard {
  /**
   * Connections with no request in progress, the one idle longest first (a Map keeps insertion order): `fresh`
   * ones have not had a request answered yet (silent, or a head still arriving), `kept` ones have (keep-alive).
   * Room is made from the fresh ones first: a client that was served keeps its connection longest.
   */
  private readonly fresh = new Map<Socket, true>();
  private readonly kept = new Map<Socket, true>();
  private readonly busy = new Map<Socket, InProgress>();
  /** TCP connections open (with TLS: including those still in their handshake). */
  private open = 0;

  /** This listener's open-connections gauge, its labels bound once (a thousand connections a second update it). */
  private readonly openGauge: { inc(): void; dec(): void } | undefined;

  constructor(
    private readonly listener: Listener,
    private readonly limits: HttpConnectionLimits,
    private readonly metrics?: ConnectionMetrics,
  ) {
    this.openGauge = metrics?.openConnections.labels({ listener });
  }

  /** Applies the timeouts and the cap to `server` (before it listens) and starts tracking its connections. */
  attach(server: Server, tls: boolean): void {
    const { limits } = this;
    server.headersTimeout = limits.headersTimeoutMs;
    server.requestTimeout = limits.requestTimeoutMs;
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    // Node checks the two timeouts above every 30 s by default: a timeout of 1 s could take 31 s.
    (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
      checkingIntervalMs(limits);
    // Node refuses connections past this itself (closing them at once) and says so with 'drop'.
    server.maxConnections = limits.maxConnections;
    server.setTimeout(limits.idleTimeoutMs);
    server.on('drop', () => this.metrics?.connectionsClosed.inc({ listener: this.listener, reason: 'connection_cap' }));
    server.on('connection', (socket: Socket) => this.onConnection(socket, !tls));
    // With TLS the HTTP side sees the TLS socket, once its handshake is done (tls handshakeTimeout bounds that).
    if (tls) server.on('secureConnection', (socket: Socket) => this.track(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
    server.on('timeout', (socket: Socket) => this.onIdle(socket));
  }

  /** Open connections on this port. */
  get openConnections(): number {
    return this.open;
  }

  private onConnection(socket: Socket, track: boolean): void {
    this.open++;
    this.openGauge?.inc();
    socket.once('close', () => {
      this.open--;
      this.openGauge?.dec();
    });
    if (track) this.track(socket);
    // Full now: make room for the next client by closing the connection idle longest (not this new one).
    if (this.open >= this.limits.maxConnections) this.evictOne(socket);
  }

  private track(socket: Socket): void {
    this.fresh.set(socket, true);
    socket.once('close', () => {
      this.fresh.delete(socket);
      this.kept.delete(socket);
      this.busy.delete(socket);
    });
  }

  /** Sockets already answered with a refusal and closing. */
  private readonly refused = new WeakSet<Socket>();

  private evictOne(except: Socket): void {
    for (const idle of [this.fresh, this.kept]) {
      for (const socket of idle.keys()) {
        if (socket === except) continue;
        idle.delete(socket);
        socket.destroy();
        this.metrics?.connectionsClosed.inc({ listener: this.listener, reason: 'evicted' });
        return;
      }
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    this.fresh.delete(socket);
    this.kept.delete(socket);
    this.busy.set(socket, { req, res });
    res.once('close', () => {
      if (this.busy.get(socket)?.req !== req) return;
      this.busy.delete(socket);
      if (!socket.destroyed) this.kept.set(socket, true);
    });
  }

  /** Nothing arrived on `socket` for idle_timeout_ms (node no longer closes it itself once this is listened to). */
  private onIdle(socket: Socket): void {
    const current = this.busy.get(socket);
    // The server is working on a request it has received in full: its time is the request's, not the client's.
    if (current?.req.complete) return;
    if (current) {
      this.refuse(socket, 'body_idle_timeout');
      return;
    }
    this.metrics?.connectionsClosed.inc({ listener: this.listener, reason: 'idle_timeout' });
    socket.destroy();
  }

  /**
   * Fastify's clientErrorHandler: node's own refusals (a request not received in time, a head too large or not
   * HTTP) are counted and answered with a status, a message saying what to do and an error code (docs/errors.md),
   * then the connection is closed.
   */
  readonly clientErrorHandler = (err: Error & { code?: string }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      this.refuse(socket, this.busy.has(socket) ? 'request_timeout' : 'headers_timeout');
    } else {
      this.refuse(socket, err.code === 'HPE_HEADER_OVERFLOW' ? 'header_overflow' : 'bad_request');
    }
  };

  private refuse(socket: Socket, reason: Exclude<RequestRefusalReason, 'body_budget'>): void {
    // Node may report more errors on a socket already being closed (the client goes on sending): answer and count once.
    if (this.refused.has(socket)) return;
    this.refused.add(socket);
    this.metrics?.requestsRefused.inc({ listener: this.listener, reason });
    const { status, text, message, code } = ANSWERS[reason];
    // An answer already begun cannot be replaced: the connection is only closed.
    const begun = this.busy.get(socket)?.res.headersSent === true;
    if (socket.writable && !begun) {
      const body = JSON.stringify({ error: message(this.limits), code });
      socket.write(
        `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroySoon();
  }
}

/**
 * Node's refusals, answered before any route reads the request: each is the HTTP layer's `bad_request` (its
 * status says which: 408 too slow, 431 a head too large, 400 not HTTP/1.1).
 */
const ANSWERS: Record<
  Exclude<RequestRefusalReason, 'body_budget'>,
  { status: number; text: string; code: PublicErrorCode; message: (l: HttpConnectionLimits) => string }
> = {
  headers_timeout: {
    status: 408,
    text: 'Request Timeout',
    code: 'bad_request',
    message: (l) =>
      `the request head (line and headers) did not arrive within ${l.headersTimeoutMs} ms; send it at once`,
  },
  request_timeout: {
    status: 408,
    text: 'Request Timeout',
    code: 'bad_request',
    message: (l) =>
      `the request did not arrive in full within ${l.requestTimeoutMs} ms; send the body at once, or smaller bodies`,
  },
  body_idle_timeout: {
    status: 408,
    text: 'Request Timeout',
    code: 'bad_request',
    message: (l) => `the request body stopped arriving: nothing came for ${l.idleTimeoutMs} ms; send the body at once`,
  },
  header_overflow: {
    status: 431,
    text: 'Request Header Fields Too Large',
    code: 'bad_request',
    message: () => 'the request head is too large; send fewer or shorter headers',
  },
  bad_request: {
    status: 400,
    text: 'Bad Request',
    code: 'bad_request',
    message: () => 'the request is not valid HTTP/1.1',
  },
};
