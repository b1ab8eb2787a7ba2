/** The priority overload scenario (priority-load.ts) as a markdown section of the benchmark report. */
import type { OverloadScenarioResult } from './priority-load.js';

export interface PriorityOverloadRun {
  readonly factor: number;
  readonly durationS: number;
  readonly result: OverloadScenarioResult;
}

/** p99 of the highest priority's answers ÷ unloaded p99 (the bound: ≤ 2). */
export function highPriorityRatio(r: OverloadScenarioResult): number {
  const high = r.levels[0];
  return high && high.ok > 0 && r.unloadedP99Ms > 0 ? high.okP99Ms / r.unloadedP99Ms : NaN;
}

const fmt = (n: number): string => (Number.isFinite(n) ? String(n) : '–');

export function renderPriorityOverload({ factor, durationS, result: r }: PriorityOverloadRun): string {
  const header = [
    'priority',
    'sent',
    '200',
    '503',
    'other',
    'success %',
    '200 p50 ms',
    '200 p99 ms',
    'p99 ÷ unloaded p99',
    '503 p50 ms',
    '503 p99 ms',
  ];
  const rows = r.levels.map((l) => [
    String(l.priority),
    String(l.sent),
    String(l.ok),
    String(l.refused),
    String(l.other),
    l.sent ? ((100 * l.ok) / l.sent).toFixed(1) : '–',
    fmt(l.okP50Ms),
    fmt(l.okP99Ms),
    l.ok && r.unloadedP99Ms > 0 ? `${(l.okP99Ms / r.unloadedP99Ms).toFixed(2)}×` : '–',
    fmt(l.refusedP50Ms),
    fmt(l.refusedP99Ms),
  ]);
  const table = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((c) => `| ${c.join(' | ')} |`),
  ].join('\n');
  const ratio = highPriorityRatio(r);
  const high = r.levels[0];
  const low = r.levels[r.levels.length - 1];
  const shares = (l: typeof high) => (l && l.sent ? l.ok / l.sent : NaN);
  const verdicts = [
    `- ${r.aliveAfter && r.healthAfter === 200 ? '✅' : '❌'} the process stayed up and ready (readiness ${r.healthAfter} after the run)`,
    `- ${Number.isFinite(ratio) && ratio <= 2 ? '✅ met' : '❌ not met'}: priority 1 p99 within 2× of unloaded — measured ${Number.isFinite(ratio) ? ratio.toFixed(2) : '–'}×`,
    `- ${shares(high) > shares(low) ? '✅' : '❌'} lower priorities shed first: success ${(100 * shares(high)).toFixed(1)} % at priority 1, ${(100 * shares(low)).toFixed(1)} % at priority ${low?.priority}`,
    `- RSS ${r.rssStartMb} MB at start, ${r.rssMaxMb} MB at most, ${r.rssEndMb} MB at the end`,
  ];
  const shed =
    Object.entries(r.shed)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    `**Overload with priorities** (a copy of mlp_heavy, 64 rows per request, requests not joined, queue of 4, concurrency limit 6; ` +
      `capacity ${r.capacityRps} req/s measured closed-loop; open loop at ${r.offeredRps} req/s = ${factor}× for ${durationS} s, 10 % priority 1, 30 % priority 2, 60 % priority 3; ` +
      `unloaded p50 ${r.unloadedP50Ms} ms, p99 ${r.unloadedP99Ms} ms, one request at a time; the Node load generator shares the two cores)`,
    table,
    verdicts.join('\n'),
    `inferd_shed_total: ${shed}`,
  ].join('\n\n');
}

/** The overload bounds, for one priority level at 4× capacity. */
export const OVERLOAD_BOUNDS = { refusedWithinMs: 5, admittedP99Ratio: 5, rssGrowth: 1.5 } as const;

/**
 * The overload scenario with one priority level: open loop at `factor`× the measured capacity. The issue's
 * bounds: the process stays up, excess is refused within 5 ms (503 p99), memory stays bounded, and admitted
 * requests' p99 stays under 5× unloaded.
 */
export function renderOverloadAtCapacity({ factor, durationS, result: r }: PriorityOverloadRun): string {
  const l = r.levels[0];
  const ratio = l && l.ok > 0 && r.unloadedP99Ms > 0 ? l.okP99Ms / r.unloadedP99Ms : NaN;
  const growth = r.rssStartMb > 0 ? r.rssMaxMb / r.rssStartMb : NaN;
  const b = OVERLOAD_BOUNDS;
  const verdict = (ok: boolean) => (ok ? '✅ met' : '❌ not met');
  const lines = [
    `- ${verdict(r.aliveAfter && r.healthAfter === 200)}: the process stayed up and ready (readiness ${r.healthAfter} after the run)`,
    `- ${verdict(!!l && l.refused > 0 && l.refusedP99Ms <= b.refusedWithinMs)}: excess refused within ${b.refusedWithinMs} ms — ${l?.refused ?? 0} 503s, p50 ${fmt(l?.refusedP50Ms ?? NaN)} ms, p99 ${fmt(l?.refusedP99Ms ?? NaN)} ms`,
    `- ${verdict(Number.isFinite(ratio) && ratio < b.admittedP99Ratio)}: admitted p99 under ${b.admittedP99Ratio}× unloaded — ${fmt(l?.okP99Ms ?? NaN)} ms ÷ ${r.unloadedP99Ms} ms = ${Number.isFinite(ratio) ? ratio.toFixed(2) : '–'}× (${l?.ok ?? 0} answered, p50 ${fmt(l?.okP50Ms ?? NaN)} ms)`,
    `- ${verdict(Number.isFinite(growth) && growth <= b.rssGrowth)}: memory bounded — RSS ${r.rssStartMb} MB at start, ${r.rssMaxMb} MB at most (${Number.isFinite(growth) ? growth.toFixed(2) : '–'}×), ${r.rssEndMb} MB at the end`,
    `- other outcomes (neither 200 nor 503): ${l?.other ?? 0}`,
  ];
  return [
    `**Overload at ${factor}× capacity** (open loop: requests are sent at a fixed rate whatever the answers, as independent callers do. A copy of mlp_heavy, ` +
      `64 rows per request, requests not joined, queue of 4, concurrency limit 6, one priority level; capacity ${r.capacityRps} req/s measured closed-loop; ` +
      `sent at ${r.offeredRps} req/s for ${durationS} s; unloaded p50 ${r.unloadedP50Ms} ms, p99 ${r.unloadedP99Ms} ms, one request at a time; the Node load generator shares the two cores)`,
    lines.join('\n'),
  ].join('\n\n');
}
