/**
 * A labelled dataset for tuning a cascade: CSV with a header, one row per example, a label column (the true class)
 * and the features in the models' input order; other columns named in `exclude` are skipped, and `split`, when
 * given, keeps only rows whose `split` column has that value.
 */
import { readFileSync } from 'node:fs';

export interface LabelledRows {
  readonly features: Float32Array[];
  readonly labels: number[];
}

export function readLabelledCsv(
  file: string,
  options: { readonly label: string; readonly exclude: readonly string[]; readonly split?: string | undefined },
): LabelledRows {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const columns = header.split(',').map((c) => c.trim());
  const labelAt = columns.indexOf(options.label);
  if (labelAt < 0) throw new Error(`${file} has no column '${options.label}' (columns: ${columns.join(', ')})`);
  const splitAt = columns.indexOf('split');
  if (options.split !== undefined && splitAt < 0)
    throw new Error(`${file} has no 'split' column to select '${options.split}'`);
  const skip = new Set([options.label, 'split', ...options.exclude]);
  const featureAt = columns.flatMap((c, i) => (skip.has(c) ? [] : [i]));
  const features: Float32Array[] = [];
  const labels: number[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    if (options.split !== undefined && cells[splitAt] !== options.split) continue;
    labels.push(Number(cells[labelAt]));
    features.push(Float32Array.from(featureAt, (i) => Number(cells[i])));
  }
  return { features, labels };
}
