/**
 * Bytes that do not decode as the method's request message are the client's mistake. grpc-js answers a throwing
 * deserializer with INTERNAL, so the service definition's deserializers are wrapped to hand the handler a
 * MalformedMessage instead, which it answers with INVALID_ARGUMENT.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { InvalidArgumentError } from '../../errors/index.js';

export class MalformedMessage {
  constructor(readonly reason: string) {}
}

/** A copy of `definition` whose request deserializers return a MalformedMessage instead of throwing. */
export function withTolerantDeserializers(definition: ServiceDefinition): ServiceDefinition {
  const tolerant = (decode: (bytes: Buffer) => unknown) => (bytes: Buffer) => {
    try {
      return decode(bytes);
    } catch (err) {
      return new MalformedMessage(err instanceof Error ? err.message : String(err));
    }
  };
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [
      name,
      { ...method, requestDeserialize: tolerant(method.requestDeserialize) },
    ]),
  );
}

/** Throws INVALID_ARGUMENT when `request` did not decode. */
export function assertWellFormed(method: string, request: unknown): void {
  if (request instanceof MalformedMessage) {
    throw new InvalidArgumentError(
      `the request is not a valid ${method} message (${request.reason}); check that the client uses inferd's proto/grpc_service.proto`,
    );
  }
}
