/** The markdown section of the lifecycle isolation bench (bench/lifecycle-isolation.ts): a table and verdicts. */
import type { EnvironmentRow, LifecycleIsolationResult } from './lifecycle-isolation.js';

/** The issue's targets: digits' p99 during the cycles at most 2× its quiet p99; RSS back within 10%. */
export const P99_RATIO_TARGET = 2;
export const RSS_RATIO_TARGET = 1.1;

const ms = (us: number): string => (us / 1000).toFixed(2);
const mib = (kb: number): string => `${(kb / 1024).toFixed(0)} MiB`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function label(r: EnvironmentRow): string {
  return r.environment === 'glibc' ? `glibc settings (\`${r.envText}\`)` : 'default environment';
}

function verdict(met: boolean, text: string): string {
  return `- ${met ? '✅ met' : '❌ not met'}: ${text}`;
}

function verdicts(r: EnvironmentRow): string[] {
  const failed = r.quiet.failures + r.busy.failures;
  const first = r.busy.firstFailure ?? r.quiet.firstFailure;
  return [
    verdict(
      r.p99Ratio <= P99_RATIO_TARGET,
      `${label(r)}: digits p99 during the cycles ÷ quiet p99 = ${r.p99Ratio.toFixed(2)} (target ≤ ${P99_RATIO_TARGET})`,
    ),
    verdict(
      r.rssRatio <= RSS_RATIO_TARGET,
      `${label(r)}: RSS after the last unload ÷ RSS before the first load = ${r.rssRatio.toFixed(3)} (target ≤ ${RSS_RATIO_TARGET.toFixed(2)})`,
    ),
    verdict(
      failed === 0 && r.controlFailures.length === 0,
      `${label(r)}: ${failed} failed digits requests, ${r.controlFailures.length} failed load/unload calls` +
        (first ? ` (first: ${first})` : '') +
        (r.controlFailures[0] ? ` (first: ${r.controlFailures[0]})` : ''),
    ),
  ];
}

/** RSS right after a few of the unloads: flat means memory is reused, a climb means something accumulates. */
function trend(r: EnvironmentRow): string {
  const n = r.rssAfterUnloadKb.length;
  const picks = [...new Set([1, 5, 10, 25, n].filter((k) => k <= n))];
  return `${label(r)}: ${picks.map((k) => `${k}: ${mib(r.rssAfterUnloadKb[k - 1])}`).join(', ')}`;
}

/** Renders the section for BENCHMARKS.md. */
export function renderLifecycleIsolation(result: LifecycleIsolationResult): string {
  const r0 = result.rows[0];
  const head =
    `**Isolation while loading** (the built inferd in explicit model-control mode serving digits to ${result.concurrency} closed-loop keep-alive connections, ` +
    `${result.ratePerS > 0 ? `paced at ${result.ratePerS} requests/s in all` : 'back to back'}; ` +
    `a copy of ${result.model} loaded and unloaded ${result.cycles} times through \`POST /v2/repository/models/${result.model}/load|unload\`; ` +
    `quiet periods of ${result.quietS} s before and after the cycles, pooled for the quiet p99; one fresh server per environment)`;
  const rows = result.rows.map((r) => [
    label(r),
    `${r.quiet.count} / ${r.busy.count}`,
    String(r.quiet.failures + r.busy.failures),
    `${ms(r.quiet.p50Us)} / ${ms(r.quiet.p99Us)}`,
    `${ms(r.busy.p50Us)} / ${ms(r.busy.p99Us)}`,
    `${r.p99Ratio.toFixed(2)}×`,
    `${r.loadMsMedian.toFixed(0)} / ${r.unloadMsMedian.toFixed(0)} (${r.cyclesS.toFixed(1)} s in all)`,
    mib(r.rssBeforeKb),
    mib(r.rssAfterKb),
    `${r.rssRatio.toFixed(3)}×`,
    mib(r.peakRssKb),
  ]);
  const notes = [
    `- RSS: /proc/<pid>/status VmRSS, the median of ${result.rssSamples} samples over ${result.rssSpanMs / 1000} s with digits still serving: the last seconds of the quiet period before the first load, and from ${result.settleMs / 1000} s after the last unload. ` +
      'No GC was forced (the CLI cannot be asked to): RSS is reported as it is. Peak is VmHWM at the end.',
    `- RSS outside the main thread's V8 heap (RSS − nodejs_heap_size_total_bytes from /metrics, read right after each RSS figure), before → after: ` +
      `${result.rows.map((r) => `${label(r)}: ${mib(r.rssBeforeKb - r.heapBeforeKb)} → ${mib(r.rssAfterKb - r.heapAfterKb)} (${((r.rssAfterKb - r.heapAfterKb) / (r.rssBeforeKb - r.heapBeforeKb)).toFixed(3)}×)`).join('; ')}.`,
    `- RSS right after unload k (one instant sample, no settling): ${result.rows.map(trend).join('; ')}.`,
  ];
  const table1 = table(
    [
      'environment',
      'digits requests (quiet / cycles)',
      'failed',
      'quiet p50 / p99 ms',
      'during cycles p50 / p99 ms',
      'p99 ratio',
      'load / unload ms (median)',
      'RSS before first load',
      'RSS after last unload',
      'RSS ratio',
      'peak RSS',
    ],
    rows,
  );
  return `${head}\n\n${table1}\n\n${[...result.rows.flatMap(verdicts), ...(r0 ? notes : [])].join('\n')}\n`;
}
