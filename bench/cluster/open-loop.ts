/**
 * An open-loop load generator: requests leave at a fixed rate whatever the answers (wrk2 is not in Debian, and a
 * closed loop would slow down exactly when a replica dies, hiding failures). Every request is recorded with when
 * it left, when it ended and how (HTTP status, or -1 for a connection error or timeout), so a scenario can count
 * failures before and after an event.
 */
import http from 'node:http';
import { Worker } from 'node:worker_threads';

/** Milliseconds since the epoch, sub-millisecond: comparable between the worker and the main thread. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface Outcome {
  /** When the request was sent, and when it ended (nowMs()). */
  readonly sentMs: number;
  readonly doneMs: number;
  /** HTTP status; -1: no answer (connection refused or reset, timeout). */
  readonly status: number;
  /** Why there was no answer; or the start of a non-2xx answer's body. */
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
  const sentMs = nowMs();
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number, error?: string) => {
      if (settled) return;
      settled = true;
      resolve({ sentMs, doneMs: nowMs(), status, error });
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
        const status = res.statusCode ?? 0;
        // The body of a failure says who refused and why (haproxy's own pages, or inferd's JSON error).
        let text = '';
        if (status >= 200 && status < 300) res.resume();
        else res.setEncoding('utf8').on('data', (s: string) => void (text.length < 300 && (text += s)));
        res.on('end', () => done(status, text ? text.slice(0, 300) : undefined));
        res.on('error', (err) => done(-1, err.message));
        res.on('aborted', () => done(-1, 'response aborted'));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => done(-1, err.message));
    req.end(body);
  });
}

/**
 * Sends `ratePerS` requests per second for `durationS` (or until `signal` aborts) from a worker thread of its own,
 * so that the scenario's own polling (haproxy's state every 20 ms) neither delays requests nor is delayed by them.
 * Resolves once every request has ended.
 */
export function openLoop(o: OpenLoopOptions, signal?: AbortSignal): Promise<OpenLoopResult> {
  const worker = new Worker(new URL('./open-loop-worker.js', import.meta.url), { workerData: o });
  const stop = () => worker.postMessage('stop');
  signal?.addEventListener('abort', stop, { once: true });
  return new Promise<OpenLoopResult>((resolve, reject) => {
    worker.once('message', (r: OpenLoopResult) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the load generator's thread exited (${code}) without a result`)));
  }).finally(() => signal?.removeEventListener('abort', stop));
}

/** The generator itself, on the calling thread (open-loop-worker.ts runs it). */
export async function openLoopHere(o: OpenLoopOptions, stopped: () => boolean): Promise<OpenLoopResult> {
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
      if (elapsed >= o.durationS || stopped()) {
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
  /** The first failure's status and body or error, for reports. */
  readonly firstFailure?: string | undefined;
}

export function tally(outcomes: readonly Outcome[]): Tally {
  let ok = 0;
  let non2xx = 0;
  let noAnswer = 0;
  const kinds: Record<string, number> = {};
  let firstFailure: string | undefined;
  for (const o of outcomes) {
    if (o.status >= 200 && o.status < 300) ok++;
    else {
      if (o.status === -1) noAnswer++;
      else non2xx++;
      firstFailure ??= `${o.status}: ${o.error ?? ''}`;
      const k = o.status === -1 ? `error: ${o.error ?? '?'}` : String(o.status);
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
  }
  return { total: outcomes.length, ok, non2xx, noAnswer, kinds, firstFailure };
}
