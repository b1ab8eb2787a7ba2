/**
 * The event-loop watchdog: runs one attack scenario while a probe client, on a connection of its own, keeps sending
 * a small valid inference, one after another (a short pause between them). A server whose event loop is held by
 * the attack answers no probe until the attack is over; one that keeps turning answers probes throughout.
 *
 * Used by watchdog.slow.test.ts (which checks that probes are answered, 200, while the attack is still running: an
 * ordering, not a time) and by the attack benchmark (which reports probe latency percentiles against the target).
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttackScenario, ProbeRequest } from './attack.js';

export interface WatchReport {
  readonly scenario: string;
  /** Probes answered (any status) while the attack ran. */
  readonly probes: number;
  /** Probes whose answer came back before the attack had finished. */
  readonly answeredDuringAttack: number;
  /** Probes answered with a status other than 200, with the first such answer. */
  readonly failed: number;
  readonly firstFailure?: string | undefined;
  /** Probe round-trip times, ms, sorted. */
  readonly latenciesMs: readonly number[];
  /** What the attack's requests got, when the scenario says (e.g. 'v1: 413×400'). */
  readonly outcome?: string | undefined;
}

/** The pause between probes: frequent enough to see a stall, light enough not to be load itself. */
const PROBE_GAP_MS = 10;

function sendProbe(agent: Agent, base: URL, probe: ProbeRequest): Promise<{ status: number; text: string }> {
  const body = Buffer.from(JSON.stringify(probe.body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        path: probe.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length, ...probe.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

/** Runs `scenario` once with the probe beside it; the server is started and stopped by the scenario. */
export async function watch(scenario: AttackScenario): Promise<WatchReport> {
  const setup = await scenario.setup();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const base = new URL(setup.httpUrl);
  try {
    const first = await sendProbe(agent, base, setup.probe);
    if (first.status !== 200)
      throw new Error(
        `scenario '${scenario.name}': the probe answered ${first.status} before the attack: ${first.text.slice(0, 300)}`,
      );
    let attacking = true;
    const latencies: number[] = [];
    let answeredDuringAttack = 0;
    let failed = 0;
    let firstFailure: string | undefined;
    let outcome: string | undefined;
    const attack = setup
      .run()
      .then((o) => void (outcome = o ?? undefined))
      .finally(() => {
        attacking = false;
      });
    const prober = (async () => {
      while (attacking) {
        const t0 = performance.now();
        let answer: { status: number; text: string };
        try {
          answer = await sendProbe(agent, base, setup.probe);
        } catch (err) {
          answer = { status: 0, text: err instanceof Error ? err.message : String(err) };
        }
        latencies.push(performance.now() - t0);
        if (attacking) answeredDuringAttack++;
        if (answer.status !== 200) {
          failed++;
          firstFailure ??= `${answer.status}: ${answer.text.slice(0, 300)}`;
        }
        await sleep(PROBE_GAP_MS);
      }
    })();
    await attack;
    await prober;
    return {
      scenario: scenario.name,
      probes: latencies.length,
      answeredDuringAttack,
      failed,
      firstFailure,
      latenciesMs: latencies.sort((a, b) => a - b),
      outcome,
    };
  } finally {
    agent.destroy();
    await setup.close();
  }
}

export function describeReport(r: WatchReport): string {
  const ms = (p: number) => percentile(r.latenciesMs, p).toFixed(1);
  return `${r.scenario}: ${r.probes} probes (${r.answeredDuringAttack} answered during the attack, ${r.failed} failed); p50 ${ms(0.5)} ms, p99 ${ms(0.99)} ms, max ${ms(1)} ms${r.outcome ? `; the attack got ${r.outcome}` : ''}`;
}
