/**
 * Refuses what the model cannot take from what a body declares, before its data is decoded: a V2 input's shape
 * and datatype (against max_batch_size and the input's dims), a V1 body's number of instances or rows. The text
 * is walked with json-scan.ts (no values built but the small ones); a body the walk cannot follow, or an input the
 * model does not name, is left to the full decode and the core's checks, which say the same things later.
 */
import { InputMismatchError } from '../errors/index.js';
import { formatShape, isDatatype, shapeMatches, type TensorSpec } from '../tensor/index.js';
import { scanJson, type JsonScanner } from './json-scan.js';
import { shownName } from './decode-limits.js';

/** What the checks need to know of the model (a ModelConfig has these fields). */
export interface ShapeSignature {
  readonly name: string;
  /** 0: the model does not batch. */
  readonly maxBatchSize: number;
  readonly inputs: readonly TensorSpec[];
}

function isShape(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
}

function tooManyRows(what: string, rows: string, sig: ShapeSignature): InputMismatchError {
  return new InputMismatchError(
    `${what} has ${rows}, but model '${sig.name}' takes at most ${sig.maxBatchSize} per request (max_batch_size ${sig.maxBatchSize}); split the rows into requests of at most ${sig.maxBatchSize}`,
  );
}

/** Refuses one declared V2 input the model names but cannot take (datatype, dims, batch size). */
export function checkDeclaredInput(name: string, datatype: unknown, shape: unknown, sig: ShapeSignature): void {
  const spec = sig.inputs.find((s) => s.name === name);
  if (!spec || !isShape(shape)) return;
  const what = `input '${shownName(name)}'`;
  if (isDatatype(datatype) && datatype !== spec.datatype) {
    throw new InputMismatchError(
      `${what} has datatype ${datatype}, but model '${sig.name}' expects ${spec.datatype}; send ${spec.datatype} data`,
    );
  }
  const batching = sig.maxBatchSize > 0;
  const ok = batching
    ? shape.length === spec.dims.length + 1 && shapeMatches(shape.slice(1), spec.dims)
    : shapeMatches(shape, spec.dims);
  if (!ok) {
    const expected = formatShape(batching ? [-1, ...spec.dims] : spec.dims);
    throw new InputMismatchError(
      `${what} has shape ${formatShape(shape)}, but model '${sig.name}' expects ${expected} (-1 is any size; ${batching ? 'the batch first, then its input dims' : 'it does not batch: exactly its input dims'})`,
    );
  }
  if (!batching) return;
  if (shape[0] > sig.maxBatchSize)
    throw tooManyRows(what, `a batch of ${shape[0]} rows (shape ${formatShape(shape)})`, sig);
}

/**
 * Walks a V2 JSON body's `inputs` and checks each input as soon as its name, datatype and shape are read: an
 * input whose shape comes before its data is refused without its data being looked at.
 */
export function checkV2Declared(text: string, sig: ShapeSignature): void {
  scanJson(text, (scan) => {
    scan.object((key) => {
      if (key !== 'inputs') return void scan.skip();
      scan.array(() => {
        let name: unknown;
        let datatype: unknown;
        let shape: unknown;
        let checked = false;
        scan.object((field) => {
          if (field === 'name') name = scan.flatValue();
          else if (field === 'datatype') datatype = scan.flatValue();
          else if (field === 'shape') shape = scan.flatValue();
          else {
            if (field === 'data' && !checked && typeof name === 'string') {
              checked = true;
              checkDeclaredInput(name, datatype, shape, sig);
            }
            scan.skip();
          }
        });
        if (!checked && typeof name === 'string') checkDeclaredInput(name, datatype, shape, sig);
      });
    });
  });
}

/** Counts a list's elements, stopping at the first past `most`; returns the count (at most most + 1). */
function countUpTo(scan: JsonScanner, most: number): number {
  return scan.array((i) => {
    scan.skip();
    return i < most;
  });
}

/**
 * Refuses a V1 body with more rows than the model batches: `instances` (row format) or each value of `inputs`
 * (columnar) is counted up to max_batch_size + 1, and the rest of it is never looked at.
 */
export function checkV1Declared(text: string, sig: ShapeSignature): void {
  const most = sig.maxBatchSize;
  if (most <= 0) return;
  scanJson(text, (scan) => {
    scan.object((key) => {
      if (key === 'instances') {
        if (scan.peek() !== 0x5b) return void scan.skip();
        if (countUpTo(scan, most) > most)
          throw tooManyRows(`'instances'`, `more than ${most} instances (batch size ${most + 1} or more)`, sig);
        return;
      }
      if (key !== 'inputs') return void scan.skip();
      const column = (what: string) => {
        if (scan.peek() !== 0x5b) return void scan.skip();
        if (countUpTo(scan, most) > most)
          throw tooManyRows(what, `more than ${most} rows (batch size ${most + 1} or more)`, sig);
      };
      if (scan.peek() === 0x7b) scan.object((name) => column(`inputs.${shownName(name)}`));
      else column(`'inputs'`);
    });
  });
}
