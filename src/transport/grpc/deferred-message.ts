/**
 * Request messages decoded only after the caller is authenticated. grpc-js decodes a message before it calls the
 * handler; the service definition's deserializers are replaced by ones that keep the bytes, so an unauthenticated
 * caller's message (60 MiB of tensors, say) is never decoded. The gate still needs the model a call is for (its
 * scope, its rate limit): that one string field is read from the message's top level without decoding the rest.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type { InferenceMethod } from './proto-loader.js';
import { InvalidArgumentError } from '../../errors/index.js';
import { shownName } from '../../protocol/decode-limits.js';
import { assertWellFormed, MalformedMessage } from './malformed-message.js';

let decoded = 0;

/** How many request messages this process has decoded (a decode-before-auth regression shows here first). */
export function messagesDecoded(): number {
  return decoded;
}

/** A request message as it arrived: its bytes, the model it names, and how to decode it. */
export class DeferredMessage {
  constructor(
    readonly bytes: Buffer,
    /** The model (or name) field, read from the bytes; undefined when absent or not readable. */
    readonly model: string | undefined,
    private readonly decoder: (bytes: Buffer) => unknown,
    /** Whether the method's message has a model field at all. */
    private readonly hasModelField: boolean,
  ) {}

  /** The decoded message; throws INVALID_ARGUMENT when the bytes are not a valid `method` message. */
  decode(method: string): unknown {
    decoded++;
    let message: unknown;
    try {
      message = this.decoder(this.bytes);
    } catch (err) {
      message = new MalformedMessage(err instanceof Error ? err.message : String(err));
    }
    assertWellFormed(method, message);
    // The gate judged the call by the model read from the bytes: the decoded message must name the same one
    // (a decoder more lenient than the reader must not turn "no model" or one model into another).
    const name = modelField(message);
    if (this.hasModelField && name !== this.model) {
      throw new InvalidArgumentError(
        `the request's model name could not be read unambiguously (read '${shownName(this.model ?? '')}', decoded '${shownName(name ?? '')}'); send one well-formed model_name`,
      );
    }
    return message;
  }
}

/** The model a decoded request names (`model_name`, or `name` for the model-level RPCs). */
export function modelField(message: unknown): string | undefined {
  const r = message as { model_name?: unknown; name?: unknown } | undefined;
  const name = r?.model_name ?? r?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The field number of a request type's model field (`model_name` or `name`, a string), from the proto. */
function modelFieldNumber(method: MethodDefinition<unknown, unknown>): number | undefined {
  return (method as Partial<InferenceMethod>).modelField;
}

/** Reads a varint at `at`; undefined when the bytes end first or it is longer than 53 bits allow. */
function varint(bytes: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 8; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, next: i + 1 };
    scale *= 128;
  }
  return undefined;
}

/**
 * The last top-level occurrence of string field `field` (protobuf decoders keep the last one), reading only
 * field keys and lengths: a message of any size costs as many steps as it has top-level fields.
 */
export function peekStringField(bytes: Buffer, field: number): string | undefined {
  let found: string | undefined;
  let at = 0;
  while (at < bytes.length) {
    const key = varint(bytes, at);
    if (!key) return undefined;
    const number = Math.floor(key.value / 8);
    const wire = key.value % 8;
    at = key.next;
    if (wire === 0) {
      const v = varint(bytes, at);
      if (!v) return undefined;
      at = v.next;
    } else if (wire === 1) {
      at += 8;
    } else if (wire === 5) {
      at += 4;
    } else if (wire === 2) {
      const length = varint(bytes, at);
      if (!length || length.next + length.value > bytes.length) return undefined;
      if (number === field) found = bytes.toString('utf8', length.next, length.next + length.value);
      at = length.next + length.value;
    } else {
      return undefined; // groups (deprecated) and invalid wire types: the decoder will say what is wrong
    }
  }
  return at === bytes.length ? found : undefined;
}

/** A copy of `definition` whose request deserializers keep the bytes (DeferredMessage) instead of decoding them. */
export function withDeferredDeserializers(definition: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => {
      const field = modelFieldNumber(method);
      const decoder = method.requestDeserialize;
      const keep = (bytes: Buffer) =>
        new DeferredMessage(
          bytes,
          (field === undefined ? undefined : peekStringField(bytes, field)) || undefined,
          decoder,
          field !== undefined,
        );
      return [name, { ...method, requestDeserialize: keep }];
    }),
  );
}

/** The model a call's request names, read without decoding it when it is still bytes. */
export function requestModel(request: unknown): string | undefined {
  return request instanceof DeferredMessage ? request.model : modelField(request);
}

/** The decoded request: a DeferredMessage is decoded now (throws INVALID_ARGUMENT when it does not decode). */
export function decodedRequest(method: string, request: unknown): unknown {
  if (request instanceof DeferredMessage) return request.decode(method);
  assertWellFormed(method, request);
  return request;
}
