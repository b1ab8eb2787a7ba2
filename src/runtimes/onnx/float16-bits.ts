/**
 * FP16 data between inferd and onnxruntime-node as IEEE half bit patterns in a Uint16Array, on every Node line.
 *
 * Where the JavaScript engine has Float16Array (Node 24 and later), onnxruntime-common turns the Uint16Array of a
 * float16 tensor into a Float16Array view of the same memory, and onnxruntime-node 1.30's binding reads a
 * Float16Array's byte length as 0, so every FP16 input fails with "not enough space: expected 8, got 0"
 * (microsoft/onnxruntime#32323, open). The binding accepts a Uint16Array on every line: an input is shown to it as
 * one. Outputs come back as Float16Array views there; inferd carries FP16 as bits, so they are read as Uint16Array.
 */
import type { Tensor as OrtTensor } from 'onnxruntime-node';

/**
 * `tensor` (a float16 tensor built from `bits`) with its `data` the Uint16Array `bits`. Where onnxruntime-common
 * kept `bits` (no Float16Array: Node 20, 22) it is returned as it is; otherwise an own `data` property, which the
 * binding reads, stands in front of the prototype's getter.
 */
export function showFloat16Bits(tensor: OrtTensor, bits: Uint16Array): OrtTensor {
  if (tensor.data !== bits) Object.defineProperty(tensor, 'data', { value: bits, enumerable: true });
  return tensor;
}

/** The bit patterns of FP16 output data: itself when a Uint16Array, else a Uint16Array over the same memory. */
export function float16Bits(data: ArrayBufferView): Uint16Array {
  return data instanceof Uint16Array ? data : new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
}
