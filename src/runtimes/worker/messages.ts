/**
 * Messages between the main thread and a runtime worker. Tensors travel in the worker's shared mailbox
 * (shared-mailbox.ts), the message being only the run's id (a number); or, when they do not fit, in a message
 * with their buffers transferred.
 */
import { InferenceError, toInferenceError, type ErrorCode, type PublicErrorCode } from '../../errors/index.js';
import type { Tensor } from '../../tensor/index.js';
import type { RuntimeLoadOptions, RuntimeSignature } from '../runtime.js';

/** What a runtime worker starts with. */
export interface WorkerData {
  readonly options: RuntimeLoadOptions;
  /** The mailbox's memory, shared with the main thread. */
  readonly mailbox: SharedArrayBuffer;
}

/**
 * A worker started ahead of its model (worker-runtime.ts, prestartWorker) starts with `{ spare: true }` and is
 * sent its WorkerData as its first message.
 */
export interface SpareWorkerData {
  readonly spare: true;
}

/** The table both sides index tensor names by in the mailbox: inputs, then outputs, in signature order. */
export function mailboxNames(signature: RuntimeSignature): string[] {
  return [...signature.inputs.map((t) => t.name), ...signature.outputs.map((t) => t.name)];
}

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
  /** The error's code for callers (absent from an older worker: the class's default). */
  readonly errorCode?: PublicErrorCode;
  readonly message: string;
}

/** What a runtime's error becomes on its way to the main thread: its class, code and message. */
export function errorInfo(err: unknown): WorkerErrorInfo {
  const e = toInferenceError(err);
  return {
    code: e.code,
    errorCode: e.errorCode,
    message: e.code === 'INTERNAL' ? ((err as Error).message ?? e.message) : e.message,
  };
}

/** The error the main thread answers with for a runtime's failure (the same whether it ran in a worker or inline). */
export function errorFromInfo(info: WorkerErrorInfo): InferenceError {
  return new InferenceError(info.code, info.message, { errorCode: info.errorCode });
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
