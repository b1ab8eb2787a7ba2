/**
 * Text for people: a rollout as `inferd rollout` prints it (the JSON of GET /v1/models/{m}/rollouts/{id}).
 */
import { textTable } from './text-table.js';

export interface CheckJson {
  readonly check: string;
  readonly status: string;
  readonly detail: string;
}

export interface RolloutJson {
  readonly id: string;
  readonly model: string;
  readonly candidate: number;
  readonly stable: number;
  readonly status: string;
  readonly step: number;
  readonly steps: readonly number[];
  readonly weight: number;
  readonly interval_ms: number;
  readonly started_at: string;
  readonly review_at: string | null;
  readonly finished_at: string | null;
  readonly last_decision: {
    action: string;
    by: string;
    at: string;
    reason: string;
    failed_checks: string[];
    checks: CheckJson[];
  } | null;
}

export interface EventJson {
  readonly seq: number;
  readonly time: string;
  readonly type: string;
  readonly rollout?: string;
  readonly message: string;
}

export const isActive = (r: RolloutJson) => r.status === 'progressing' || r.status === 'paused';

function duration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** One rollout in detail: where it stands, the last decision and its checks. */
export function rolloutText(r: RolloutJson): string {
  const lines = [
    `rollout ${r.id} of model '${r.model}': ${r.status.toUpperCase()}`,
    `  candidate   version ${r.candidate}, compared with version ${r.stable}`,
    `  weight      ${r.weight}% to the candidate (step ${r.step + 1} of ${r.steps.length})`,
    `  steps       ${r.steps.map((s) => `${s}%`).join(' → ')}, each for ${duration(r.interval_ms)}`,
    `  started     ${r.started_at}`,
  ];
  if (r.review_at) lines.push(`  next review ${r.review_at}`);
  if (r.finished_at) lines.push(`  finished    ${r.finished_at}`);
  const d = r.last_decision;
  if (d) {
    lines.push(`  last decision: ${d.action} by ${d.by} at ${d.at}`, `    ${d.reason}`);
    for (const c of d.checks)
      lines.push(
        `    ${c.status === 'pass' ? 'pass' : c.status === 'fail' ? 'FAIL' : 'wait'}  ${c.check}: ${c.detail}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** Every rollout of a model, one line each. */
export function rolloutsTable(rollouts: readonly RolloutJson[]): string {
  return textTable(
    ['ROLLOUT', 'CANDIDATE', 'STABLE', 'STATUS', 'WEIGHT', 'STARTED', 'FINISHED'],
    rollouts.map((r) => [
      r.id,
      String(r.candidate),
      String(r.stable),
      r.status,
      `${r.weight}%`,
      r.started_at,
      r.finished_at ?? '-',
    ]),
  );
}

/** Events, one line each. */
export function eventsText(events: readonly EventJson[]): string {
  return events.map((e) => `  ${e.time}  ${e.type.padEnd(20)} ${e.message}`).join('\n') + (events.length ? '\n' : '');
}
