/**
 * The decode worker's thread: decodes the large inference bodies decode-pool.ts hands it, one at a time, and
 * sends back the request with its tensors' buffers transferred (not copied). Errors go back as code and message.
 */
import { parentPort } from 'node:worker_threads';
import { InferenceError, InputMismatchError } from '../../errors/index.js';
import { decodeJob, type DecodeJob } from './json-body-decoder.js';
import { tensorTransferList, type WorkerAnswer } from './decode-messages.js';

const port = parentPort!;
port.on('message', ({ id, job }: { id: number; job: DecodeJob }) => {
  let answer: WorkerAnswer;
  try {
    const decoded = decodeJob(job);
    answer = { id, decoded };
    port.postMessage(answer, tensorTransferList(decoded.request.inputs));
  } catch (err) {
    const e =
      err instanceof InferenceError
        ? {
            code: err.code,
            errorCode: err.errorCode,
            message: err.message,
            mismatch: err instanceof InputMismatchError,
          }
        : { code: 'INTERNAL' as const, message: `decoding the body failed: ${(err as Error).message}` };
    answer = { id, error: e };
    port.postMessage(answer);
  }
});
