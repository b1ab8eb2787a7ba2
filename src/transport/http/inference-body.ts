/**
 * Inference request bodies on HTTP: how large one may be (from the model it names, request-size.ts), refused from
 * its Content-Length before it is read; what the model it names can take (the signature the declared-shape
 * checks read); and the decoder pool that keeps large bodies off the event loop.
 */
import { PassThrough, Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ModelConfig } from '../../config/index.js';
import { InvalidArgumentError, PayloadTooLargeError } from '../../errors/index.js';
import type { InferenceService } from '../../inference/inference-service.js';
import { BodyLimits, type BodyLimitPolicy } from '../../inference/request-size.js';
import type { ShapeSignature } from '../../protocol/declared-shape.js';
import { shownName } from '../../protocol/decode-limits.js';
import { DecodePool } from './decode-pool.js';

interface ModelParams {
  model: string;
  version?: string;
}

/** The fields the decoders read, as a plain object (it is sent to the decode worker). */
export function signatureOf(config: ModelConfig): ShapeSignature {
  return {
    name: config.name,
    maxBatchSize: config.maxBatchSize,
    inputs: config.inputs.map((s) => ({ name: s.name, datatype: s.datatype, dims: [...s.dims] })),
  };
}

function sameSignature(a: ShapeSignature, b: ShapeSignature): boolean {
  return a === b || (a.maxBatchSize === b.maxBatchSize && JSON.stringify(a.inputs) === JSON.stringify(b.inputs));
}

export class InferenceBodies {
  private readonly sizes: BodyLimits;
  readonly pool: DecodePool;

  constructor(
    private readonly service: InferenceService,
    policy: BodyLimitPolicy,
    pool = new DecodePool(),
  ) {
    this.sizes = new BodyLimits(policy);
    this.pool = pool;
  }

  /**
   * The limit for a request to `model`: the largest of the versions that could answer it, or, when the model is
   * unknown or not ready, the default: the largest limit of any loaded model. Both follow loads and unloads.
   */
  limitFor(model: string, version?: string): { bytes: number; why: string } {
    const configs = this.service.readyConfigs(model, version);
    const { ceilingBytes, jsonOverheadFactor } = this.sizes.policy;
    if (configs.length === 0) {
      const bytes = this.sizes.largest(this.service.readyConfigs());
      return {
        bytes,
        why:
          bytes >= ceilingBytes
            ? `body_limit_bytes (${ceilingBytes})`
            : `the largest body any loaded model takes (${bytes} bytes)`,
      };
    }
    let bytes = 0;
    let widest = configs[0];
    for (const c of configs) {
      const b = this.sizes.of(c);
      if (b > bytes) [bytes, widest] = [b, c];
    }
    if (bytes >= ceilingBytes) return { bytes, why: `body_limit_bytes (${ceilingBytes})` };
    const rows = widest.maxBatchSize > 0 ? `max batch size ${widest.maxBatchSize}` : 'one request (it does not batch)';
    return {
      bytes,
      why: `the limit of model '${shownName(model)}' (${bytes} bytes: ${rows} × its input dims' bytes × limits.json_overhead_factor ${jsonOverheadFactor}, at least limits.body_limit_floor_bytes)`,
    };
  }

  /**
   * What the declared-shape checks hold a request to: the named version's signature, or the one all ready
   * versions share. Undefined (no early checks; the core still checks) when versions differ, the model is not
   * ready, or its input is built from features.
   */
  signature(model: string, version?: string): ShapeSignature | undefined {
    const configs = this.service.readyConfigs(model, version);
    if (configs.length === 0 || configs.some((c) => c.features !== undefined)) return undefined;
    const first = this.signatureFor(configs[0]);
    return configs.every((c) => sameSignature(this.signatureFor(c), first)) ? first : undefined;
  }

  private readonly signatures = new WeakMap<ModelConfig, ShapeSignature>();

  /** A config's signature as the decoders take it, built once per loaded config. */
  signatureFor(config: ModelConfig): ShapeSignature {
    let sig = this.signatures.get(config);
    if (!sig) {
      sig = signatureOf(config);
      this.signatures.set(config, sig);
    }
    return sig;
  }

  private tooLarge(bytes: string, limit: { bytes: number; why: string }): PayloadTooLargeError {
    return new PayloadTooLargeError(
      `the request body is ${bytes} bytes, above ${limit.why}; send fewer rows per request (binary tensor data, Inference-Header-Content-Length, is the most compact), or raise the limit in the server config`,
    );
  }

  private readonly collected = new WeakMap<object, Buffer>();

  /** The body of `req`, when limitHook collected it (large bodies with a Content-Length); else fastify's. */
  body(req: FastifyRequest): Buffer {
    return this.collected.get(req) ?? (req.body as Buffer | undefined) ?? Buffer.alloc(0);
  }

  /**
   * Copies a large body's chunks into one buffer of its Content-Length as they arrive, instead of joining them at
   * the end (one copy of tens of MiB into fresh memory blocks the event loop for up to hundreds of ms on a busy
   * machine). Fastify is handed an empty stream that reports the bytes received; the route takes the buffer with
   * body(). The buffer owns its memory, so it can move to the decode worker without a copy.
   */
  private collect(req: FastifyRequest, payload: NodeJS.ReadableStream, length: number): PassThrough {
    const body = Buffer.allocUnsafeSlow(length);
    let at = 0;
    const out = new PassThrough() as PassThrough & { receivedEncodedLength?: number };
    payload.on('data', (chunk: Buffer) => {
      if (at + chunk.length > length)
        return void out.destroy(
          new InvalidArgumentError(`the request body is longer than its Content-Length (${length})`),
        );
      chunk.copy(body, at);
      at += chunk.length;
    });
    payload.on('end', () => {
      out.receivedEncodedLength = at;
      this.collected.set(req, at === length ? body : body.subarray(0, at));
      out.end();
    });
    payload.on('error', (err) => out.destroy(err));
    return out;
  }

  /**
   * A preParsing hook: a Content-Length above the limit is refused before a byte of the body is read, and the
   * connection closes so the client stops sending; a chunked body is counted as it arrives and cut off there.
   */
  readonly limitHook = async (
    req: FastifyRequest<{ Params: ModelParams }>,
    reply: FastifyReply,
    payload: NodeJS.ReadableStream & { receivedEncodedLength?: number },
  ) => {
    const limit = this.limitFor(req.params.model, req.params.version);
    const declared = req.headers['content-length'];
    if (declared !== undefined) {
      if (Number(declared) > limit.bytes) {
        void reply.header('connection', 'close');
        throw this.tooLarge(declared, limit);
      }
      const length = Number(declared);
      return length >= this.pool.thresholdBytes ? this.collect(req, payload, length) : payload;
    }
    let seen = 0;
    const counted = new Transform({
      transform: (chunk: Buffer, _encoding, next) => {
        seen += chunk.length;
        if (seen > limit.bytes) {
          void reply.header('connection', 'close');
          next(this.tooLarge(`more than ${limit.bytes}`, limit));
        } else next(null, chunk);
      },
    });
    payload.on('error', (err) => counted.destroy(err));
    return payload.pipe(counted);
  };
}
