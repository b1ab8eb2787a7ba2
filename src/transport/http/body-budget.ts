/**
 * A server-wide bound on the bytes request bodies hold while they are still arriving. A request with a body
 * reserves its declared Content-Length before a byte of it is read (a chunked body: each chunk as it arrives);
 * a request that would take the total over the budget is answered 503 with Retry-After at once, and its
 * connection closed. The reservation is released when the body has arrived in full or the request ends
 * otherwise (refused, timed out, the client gone). Clients that never finish their bodies thus hold at most the
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
  return new UnavailableError(`the server is receiving as many request bodies as it can hold at once (${budget.limitBytes} bytes, connections.buffered_body_bytes); retry after ${RETRY_AFTER_SECONDS} s`, RETRY_AFTER_SECONDS, 'server_busy');
}

/** Counts a chunked body's bytes against the budget as they pass. */
class CountingStream extends Transform {
  constructor(
    private readonly budget: BodyBudget,
    private readonly onTake: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.budget.tryTake(chunk.length)) {
      callback(refusal(this.budget));
      return;
    }
    this.onTake(chunk.length);
    callback(null, chunk);
  }
}

/** A preParsing hook (after authentication: an unauthenticated body is never read) that holds bodies to the budget. */
export function registerBodyBudget(app: FastifyInstance, budget: BodyBudget, listener: Listener, metrics?: ConnectionMetrics): void {
  app.addHook('preParsing', (req, reply, payload, done) => {
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const declared = length !== undefined && /^\d+$/.test(length) ? Number(length) : 0;
    if (declared === 0 && !chunked) return done(null, payload);
    let held = 0;
    const release = (): void => {
      budget.give(held);
      held = 0;
    };
    const refuse = (): void => {
      metrics?.requestsRefused.inc({ listener, reason: 'body_budget' });
      // The body is not read: the connection cannot carry another request after this answer.
      void reply.header('connection', 'close');
    };
    // Released once: when the body has arrived in full, or the request ends before that.
    payload.once('end', release);
    req.raw.once('close', release);
    if (!chunked) {
      if (!budget.tryTake(declared)) {
        refuse();
        return done(refusal(budget));
      }
      held = declared;
      return done(null, payload);
    }
    const counting = new CountingStream(budget, (bytes) => (held += bytes));
    counting.once('error', () => {
      refuse();
      release();
    });
    counting.once('end', release);
    payload.once('error', (err) => counting.destroy(err));
    return done(null, payload.pipe(counting));
  });
}
