/**
 * A rolling window over a version's live rows: the last `slices` slices of `rows / slices` rows each (or of
 * `seconds / slices` seconds each, whichever ends first). Each slice is a DriftWindow of bin counts; a running
 * total adds each row and subtracts a slice when it rolls off, so memory is (slices + 2) sets of histograms
 * however much traffic passes. The window is evaluated each time a slice ends, once it holds `min_rows` rows.
 * Pure: data and a clock in, reports out.
 */
import type { DriftConfig } from '../config/drift-config.js';
import type { Tensor, TensorData } from '../tensor/index.js';
import { DriftWindow, type WindowReport } from './drift-window.js';
import type { Profile } from './profile.js';

export class RollingWindow {
  private readonly total: DriftWindow;
  /** Ended slices, oldest first; at most config.windowSlices. */
  private readonly ended: DriftWindow[] = [];
  private current: DriftWindow;
  private readonly sliceRows: number;
  private readonly sliceMs: number | undefined;

  constructor(
    private readonly profile: Profile,
    private readonly config: DriftConfig,
    nowMs: number,
  ) {
    this.total = new DriftWindow(profile, nowMs);
    this.current = new DriftWindow(profile, nowMs);
    this.sliceRows = Math.ceil(config.windowRows / config.windowSlices);
    this.sliceMs = config.windowSeconds === undefined ? undefined : (config.windowSeconds * 1000) / config.windowSlices;
  }

  /** Rows in the window now (the ended slices it covers and the open one). */
  get rows(): number {
    return this.total.rows;
  }

  /** When the oldest slice in the window started. */
  get startedMs(): number {
    return (this.ended[0] ?? this.current).startedMs;
  }

  /** Counts one row (see DriftWindow.addRow); returns a report when this row ended a slice and the window is evaluated. */
  addRow(
    input: TensorData,
    outputs: readonly Tensor[],
    rows: number,
    row: number,
    nowMs: number,
  ): WindowReport | undefined {
    this.current.addRow(input, outputs, rows, row);
    this.total.addRow(input, outputs, rows, row);
    return this.current.rows >= this.sliceRows ? this.endSlice(nowMs) : undefined;
  }

  /** Ends the open slice when it is older than its share of `window.seconds`; returns a report when evaluated. */
  tick(nowMs: number): WindowReport | undefined {
    return this.sliceMs !== undefined && nowMs - this.current.startedMs >= this.sliceMs
      ? this.endSlice(nowMs)
      : undefined;
  }

  private endSlice(nowMs: number): WindowReport | undefined {
    this.ended.push(this.current);
    this.current = new DriftWindow(this.profile, nowMs);
    if (this.ended.length > this.config.windowSlices) this.total.merge(this.ended.shift()!, -1);
    return this.total.rows >= this.config.minRows ? this.total.evaluate(this.config, nowMs, this.startedMs) : undefined;
  }
}
