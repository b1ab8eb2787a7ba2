/** Messages between the main thread and a runtime worker. Tensors travel with their buffers transferred. */
import type { ErrorCode } from '../../errors/index.js';
import type { Tensor } from '../../tensor/index.js';
import type { RuntimeSignature } from '../runtime.js';

export interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly string[];
}

export interface CloseMessage {
  readonly type: 'close';
}

export type ToWorker = RunMessage | CloseMessage;

export interface WorkerErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
}

export type FromWorker =
  | { readonly type: 'loaded'; readonly signature: RuntimeSignature }
  | { readonly type: 'load-failed'; readonly error: WorkerErrorInfo }
  | { readonly type: 'result'; readonly id: number; readonly outputs: readonly Tensor[]; readonly computeNs: number }
  | { readonly type: 'failed'; readonly id: number; readonly error: WorkerErrorInfo }
  | { readonly type: 'closed' };

/** Buffers that can move instead of being copied: those a tensor's data owns entirely. */
export function transferables(tensors: readonly Tensor[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const t of tensors) {
    const d = t.data;
    if (Array.isArray(d)) continue;
    const buf = d.buffer;
    if (buf instanceof ArrayBuffer && d.byteOffset === 0 && d.byteLength === buf.byteLength && !out.includes(buf)) {
      out.push(buf);
    }
  }
  return out;
}
