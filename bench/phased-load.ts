/**
 * A steady closed loop for scenarios that change the server under it: `concurrency` keep-alive connections, each
 * with one request in flight, and every latency filed under the phase that was current when the request was sent.
 * The scenario moves the phase along (quiet, busy, ...) while the load keeps running, so the server never sees a gap.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from './http-client.js';

export interface PhaseSamples {
  /** Latencies of the 200 answers, in microseconds. */
  readonly okUs: number[];
  /** Anything else: a status other than 200, or a socket error. */
  readonly failures: string[];
}

export interface PhasedLoad {
  /** Requests sent from now on are filed under `phase`. */
  setPhase(phase: string): void;
  /** Samples of one phase so far (empty if it never ran). */
  samples(phase: string): PhaseSamples;
  /** Stops sending and resolves once every request in flight has answered. */
  stop(): Promise<void>;
}

export interface PhasedLoadOptions {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly concurrency: number;
  readonly firstPhase: string;
  /**
   * Requests per second over all connections; each connection then waits for its next slot after an answer (a
   * late answer sends the next request at once, without catching up). 0 or absent: back to back.
   */
  readonly ratePerS?: number | undefined;
}

export function startPhasedLoad(o: PhasedLoadOptions): PhasedLoad {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const byPhase = new Map<string, PhaseSamples>();
  const bucket = (phase: string): PhaseSamples => {
    let s = byPhase.get(phase);
    if (!s) byPhase.set(phase, (s = { okUs: [], failures: [] }));
    return s;
  };
  let phase = o.firstPhase;
  let running = true;
  let next = 0;
  const intervalMs = o.ratePerS ? (1000 * o.concurrency) / o.ratePerS : 0;
  const loop = async (k: number): Promise<void> => {
    // Connections start spread over one interval, so a paced load is steady rather than in bursts.
    let slot = performance.now() + (intervalMs * k) / o.concurrency;
    while (running) {
      if (intervalMs > 0) {
        const wait = slot - performance.now();
        if (wait > 0) await sleep(wait);
        slot = Math.max(slot, performance.now()) + intervalMs;
        if (!running) break;
      }
      const s = bucket(phase);
      try {
        const r = await request(agent, o.url, 'POST', o.bodies[next++ % o.bodies.length]);
        if (r.status === 200) s.okUs.push(r.us);
        else s.failures.push(`${r.status} ${r.body.slice(0, 200)}`);
      } catch (err) {
        s.failures.push((err as Error).message);
        // Do not spin on a server that is gone.
        await sleep(10);
      }
    }
  };
  const loops = Array.from({ length: o.concurrency }, (_, k) => loop(k));
  return {
    setPhase: (p) => void (phase = p),
    samples: (p) => byPhase.get(p) ?? { okUs: [], failures: [] },
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}
