/**
 * An open-loop load generator: requests leave at a fixed rate whatever the answers (wrk2 is not in Debian, and a
 * closed loop would slow down exactly when a replica dies, hiding failures). Every request is recorded with when
 * it left, when it ended and how (HTTP status, or -1 for a connection error or timeout), so a scenario can count
 * failures before and after an event.
 */
import http from 'node:http';

export interface Outcome {
  /** performance.now() when the request was sent, and when it ended. */
  readonly sentMs: number;
  readonly doneMs: number;
  /** HTTP status; -1: no answer (connection refused or reset, timeout). */
  readonly status: number;
  readonly error?: string | undefined;
}

export interface OpenLoopOptions {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  /** Bodies used in turn (POST). */
  readonly bodies?: readonly string[];
  readonly ratePerS: number;
  readonly durationS: number;
  /** Sockets the client may open (default 512): enough that the client never queues at half capacity. */
  readonly maxSockets?: number;
  readonly timeoutMs?: number;
  /** Stops sending early (the scenario is over or failed). */
  readonly signal?: AbortSignal;
}

export interface OpenLoopResult {
  readonly outcomes: Outcome[];
  /** Requests per second actually sent (the client may fall behind on a busy machine). */
  readonly sentRate: number;
  readonly durationS: number;
}

export function send(
  agent: http.Agent,
  url: string,
  method: 'GET' | 'POST',
  body: string | undefined,
  timeoutMs: number,
): Promise<Outcome> {
  const sentMs = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number, error?: string) => {
      if (settled) return;
      settled = true;
      resolve({ sentMs, doneMs: performance.now(), status, error });
    };
    const req = http.request(
      url,
      {
        method,
        agent,
        headers:
          body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', (err) => done(-1, err.message));
        res.on('aborted', () => done(-1, 'response aborted'));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => done(-1, err.message));
    req.end(body);
  });
}

/** Sends `ratePerS` requests per second for `durationS`; resolves once every request has ended. */
export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 512 });
  const method = o.method ?? (o.bodies ? 'POST' : 'GET');
  const timeoutMs = o.timeoutMs ?? 30_000;
  const pending: Promise<void>[] = [];
  const outcomes: Outcome[] = [];
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = (performance.now() - start) / 1000;
      if (elapsed >= o.durationS || o.signal?.aborted) {
        clearInterval(tick);
        resolve();
        return;
      }
      for (const due = Math.floor(elapsed * o.ratePerS); sent < due; sent++) {
        const body = o.bodies ? o.bodies[sent % o.bodies.length] : undefined;
        pending.push(send(agent, o.url, method, body, timeoutMs).then((r) => void outcomes.push(r)));
      }
    }, 1);
  });
  const durationS = (performance.now() - start) / 1000;
  await Promise.all(pending);
  agent.destroy();
  outcomes.sort((a, b) => a.sentMs - b.sentMs);
  return { outcomes, sentRate: sent / durationS, durationS };
}

export interface Tally {
  readonly total: number;
  readonly ok: number;
  /** Answered with a status outside 2xx. */
  readonly non2xx: number;
  /** Not answered at all. */
  readonly noAnswer: number;
  /** Statuses and errors seen, with counts (for reports). */
  readonly kinds: Record<string, number>;
}

export function tally(outcomes: readonly Outcome[]): Tally {
  let ok = 0;
  let non2xx = 0;
  let noAnswer = 0;
  const kinds: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.status >= 200 && o.status < 300) ok++;
    else {
      if (o.status === -1) noAnswer++;
      else non2xx++;
      const k = o.status === -1 ? `error: ${o.error ?? '?'}` : String(o.status);
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
  }
  return { total: outcomes.length, ok, non2xx, noAnswer, kinds };
}
