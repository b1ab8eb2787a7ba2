/**
 * A server-wide bound on the bytes request bodies hold while they are still arriving. A request with a body
 * reserves its declared Content-Length before a byte of it is read (a chunked body: each chunk as it arrives);
 * a request that would take the total over the budget is answered 503 with Retry-After at once, and its
 * connection closed. The reservation is released when the body has arrived in full, the request ends otherwise
 * (timed out, the client gone), or its answer has been sent (a body refused before it arrived gives its share
 * back at once, whether or not its client keeps the connection open). Clients that never finish their bodies thus hold at most the
 * budget, not memory without end, and their requests are cut off by request_timeout_ms.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { UnavailableError } from '../../errors/index.js';
import type { ConnectionMetrics, Listener } from '../../telemetry/connection-metrics.js';

export class BodyBudget {
  private held = 0;

  constructor(
    readonly limitBytes: number,
    private readonly metrics?: ConnectionMetrics,
  ) {}

  /** Bytes reserved by bodies still arriving. */
  get heldBytes(): number {
    return this.held;
  }

  /** Takes `bytes` from the budget; false (and nothing taken) when that would exceed it. */
  tryTake(bytes: number): boolean {
    if (this.held + bytes > this.limitBytes) return false;
    this.held += bytes;
    this.metrics?.bufferedBodyBytes.set(this.held);
    return true;
  }

  give(bytes: number): void {
    this.held -= bytes;
    this.metrics?.bufferedBodyBytes.set(this.held);
  }
}

const RETRY_AFTER_SECONDS = 1;

function refusal(budget: BodyBudget): UnavailableError {
  return new UnavailableError(
    `the server is receiving as many request bodies as it can hold at once (${budget.limitBytes} bytes, connections.buffered_body_bytes); retry after ${RETRY_AFTER_SECONDS} s`,
    RETRY_AFTER_SECONDS,
    'server_busy',
  );
}

/**
 * One request's share of the budget. Once released it takes nothing more: chunks still passing after the answer
 * (buffered before the request was refused) are not counted, so nothing is left held when the request is gone.
 */
class Reservation {
  private held = 0;
  private released = false;

  constructor(private readonly budget: BodyBudget) {}

  /** Takes `bytes` for this request; false (nothing taken) when the budget cannot hold them. */
  take(bytes: number): boolean {
    if (this.released) return true;
    if (!this.budget.tryTake(bytes)) return false;
    this.held += bytes;
    return true;
  }

  /** Gives back all this request has taken, for good. */
  release(): void {
    this.released = true;
    this.budget.give(this.held);
    this.held = 0;
  }
}

/** Counts a chunked body's bytes against the budget as they pass. */
class CountingStream extends Transform {
  constructor(
    private readonly budget: BodyBudget,
    private readonly reservation: Reservation,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.reservation.take(chunk.length)) {
      callback(refusal(this.budget));
      return;
    }
    callback(null, chunk);
  }
}

/** A preParsing hook (after authentication: an unauthenticated body is never read) that holds bodies to the budget. */
export function registerBodyBudget(
  app: FastifyInstance,
  budget: BodyBudget,
  listener: Listener,
  metrics?: ConnectionMetrics,
): void {
  app.addHook('preParsing', (req, reply, payload, done) => {
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const declared = length !== undefined && /^\d+$/.test(length) ? Number(length) : 0;
    if (declared === 0 && !chunked) return done(null, payload);
    const reservation = new Reservation(budget);
    const release = (): void => reservation.release();
    const refuse = (): void => {
      metrics?.requestsRefused.inc({ listener, reason: 'body_budget' });
      // The body is not read: the connection cannot carry another request after this answer.
      void reply.header('connection', 'close');
    };
    // Released once: when the body has arrived in full, the request ends before that, or the answer is done. The
    // last covers a body refused before it arrived (413 from its Content-Length): node stops tracking a request
    // once its answer is sent, so when the server then closes the connection, that request neither ends nor
    // closes, and without this its reservation would be held for the life of the process.
    payload.once('end', release);
    req.raw.once('close', release);
    reply.raw.once('close', release);
    if (!chunked) {
      if (!reservation.take(declared)) {
        refuse();
        return done(refusal(budget));
      }
      return done(null, payload);
    }
    const counting = new CountingStream(budget, reservation);
    counting.once('error', () => {
      refuse();
      release();
    });
    counting.once('end', release);
    payload.once('error', (err) => counting.destroy(err));
    return done(null, payload.pipe(counting));
  });
}
