/**
 * A model worker's mailbox in shared memory: one run's tensors (and, on the way back, its outputs and compute
 * time) written into a SharedArrayBuffer both threads see, so the message between them is only the run's id.
 * Serializing a message of tensor objects (structured clone, transfer lists) costs more than the hop itself
 * for the small tensors online inference mostly sends; copying their bytes into shared memory costs next to
 * nothing. Tensors that do not fit, and BYTES tensors, travel in messages with their buffers transferred.
 *
 * One run at a time per mailbox: the main thread writes a run only while none is in flight, and the worker
 * writes the outputs before answering. A sequence number written atomically last and read atomically first
 * orders the plain writes before the reads on the other side.
 *
 * Layout: Int32 header (HEADER_INTS), one Float64 slot (compute ns), then 8-byte-aligned tensor bytes.
 * Header: [sequence, tensor count, then per tensor: name index, datatype index, rank, dims…, byte offset,
 * byte length; then the count of names that follow and their indexes] (names index the table given).
 */
import { allocate, byteSize, DATATYPES, type Datatype, type NumericArray, type Tensor } from '../../tensor/index.js';

const HEADER_INTS = 256;
const HEADER_BYTES = HEADER_INTS * 4;
const COMPUTE_OFFSET = HEADER_BYTES;
const DATA_OFFSET = HEADER_BYTES + 8;

/** Default size of one worker's mailbox: a batch of 64 rows of 1,000 FP32 features fits. */
export const DEFAULT_MAILBOX_BYTES = 256 * 1024;

const align8 = (n: number): number => (n + 7) & ~7;

function isNumeric(data: Tensor['data']): data is NumericArray {
  return ArrayBuffer.isView(data);
}

export class SharedMailbox {
  private readonly header: Int32Array;
  private readonly compute: Float64Array;
  private readonly bytes: Uint8Array;
  private sequence = 0;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.compute = new Float64Array(buffer, COMPUTE_OFFSET, 1);
    this.bytes = new Uint8Array(buffer);
  }

  static create(byteLength = DEFAULT_MAILBOX_BYTES): SharedMailbox {
    return new SharedMailbox(new SharedArrayBuffer(Math.max(DATA_OFFSET + 8, byteLength)));
  }

  /**
   * Writes tensors (names from `names`, one table for inputs and outputs alike) and a list of further names (the outputs wanted); false, with nothing
   * changed that the other side could read, when something does not fit or is not a numeric tensor.
   */
  write(tensors: readonly Tensor[], names: readonly string[], wanted: readonly string[] = [], computeNs = 0): boolean {
    const h = this.header;
    let at = 2;
    let offset = DATA_OFFSET;
    for (const t of tensors) {
      const nameIndex = names.indexOf(t.name);
      if (nameIndex < 0 || !isNumeric(t.data)) return false;
      if (at + 5 + t.shape.length > HEADER_INTS) return false;
      const length = t.data.byteLength;
      if (offset + length > this.bytes.byteLength) return false;
      h[at++] = nameIndex;
      h[at++] = DATATYPES.indexOf(t.datatype);
      h[at++] = t.shape.length;
      for (const d of t.shape) h[at++] = d;
      h[at++] = offset;
      h[at++] = length;
      this.bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, length), offset);
      offset = align8(offset + length);
    }
    if (at + 1 + wanted.length > HEADER_INTS) return false;
    h[at++] = wanted.length;
    for (const name of wanted) {
      const i = names.indexOf(name);
      if (i < 0) return false;
      h[at++] = i;
    }
    h[1] = tensors.length;
    this.compute[0] = computeNs;
    Atomics.store(h, 0, ++this.sequence);
    return true;
  }

  /** Reads what the other side wrote: tensors copied out of shared memory (the mailbox is reused at once). */
  read(names: readonly string[]): { tensors: Tensor[]; wanted: string[]; computeNs: number } {
    const h = this.header;
    this.sequence = Atomics.load(h, 0);
    const count = h[1];
    let at = 2;
    const tensors: Tensor[] = [];
    for (let k = 0; k < count; k++) {
      const name = names[h[at++]];
      const datatype = DATATYPES[h[at++]] as Exclude<Datatype, 'BYTES'>;
      const rank = h[at++];
      const shape: number[] = [];
      for (let r = 0; r < rank; r++) shape.push(h[at++]);
      const offset = h[at++];
      const length = h[at++];
      const data = allocate(datatype, length / byteSize(datatype)!);
      new Uint8Array(data.buffer).set(this.bytes.subarray(offset, offset + length));
      tensors.push({ name, datatype, shape, data });
    }
    const wantedCount = h[at++];
    const wanted: string[] = [];
    for (let k = 0; k < wantedCount; k++) wanted.push(names[h[at++]]);
    return { tensors, wanted, computeNs: this.compute[0] };
  }
}
