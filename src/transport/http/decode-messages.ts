/** What the decode worker and its pool say to each other (decode-worker.ts, decode-pool.ts). */
import type { ErrorCode, PublicErrorCode } from '../../errors/index.js';
import type { Tensor } from '../../tensor/index.js';
import type { DecodedBody } from './json-body-decoder.js';

export type WorkerAnswer =
  | { readonly id: number; readonly decoded: DecodedBody; readonly error?: undefined }
  | {
      readonly id: number;
      readonly error: {
        readonly code: ErrorCode;
        readonly errorCode?: PublicErrorCode;
        readonly message: string;
        readonly mismatch?: boolean;
      };
    };

/** The distinct buffers of the tensors' typed arrays, to transfer with the message. */
export function tensorTransferList(tensors: readonly Tensor[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of tensors)
    if (!Array.isArray(t.data)) buffers.add((t.data as Exclude<Tensor['data'], string[]>).buffer as ArrayBuffer);
  return [...buffers];
}
