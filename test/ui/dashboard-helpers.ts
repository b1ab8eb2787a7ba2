/**
 * Helpers for the dashboard's browser tests: a repository of 20 models (18 copies of digits, a canary model
 * with a faulty candidate, an XGBoost model), /metrics parsed into samples, and the page's own formatters (the
 * test formats /metrics values the way the page does and compares the text).
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { ROOT } from '../helpers/server.js';

export const DIGITS_COPIES = 18;

/** 20 models: m01..m18 (digits), canary (v1 digits, v2 failing rows with a pixel above 16), breast_cancer_xgb. */
export function twentyModels(): { dir: string; cleanup(): void } {
  const models: Record<string, { versions: Record<number, string>; config?: string }> = {};
  for (let i = 1; i <= DIGITS_COPIES; i++)
    models[`m${String(i).padStart(2, '0')}`] = { versions: { 1: MODELS.digits } };
  models.canary = {
    versions: { 1: MODELS.digits, 2: MODELS.faulty },
    config: 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n',
  };
  const repo = tempRepo(models);
  cpSync(join(ROOT, 'models', 'breast_cancer_xgb'), join(repo.dir, 'breast_cancer_xgb'), { recursive: true });
  return repo;
}

export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition. */
export function parseMetrics(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

/** The sum of the samples named `name` whose labels include `where`. */
export function sumOf(samples: readonly MetricSample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

/** The page's formatters (ui/app/figures.js), so the test compares text as the page writes it. */
export interface PageFormatters {
  fmtInt(n: number): string;
  fmtNum(n: number): string;
  fmtMs(s: number | null): string;
}

export async function pageFormatters(): Promise<PageFormatters> {
  return (await import(pathToFileURL(join(ROOT, 'ui', 'app', 'figures.js')).href)) as PageFormatters;
}
