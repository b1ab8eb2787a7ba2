/** Closed-loop load for the feature benchmark: `conns` loops, each sending its next request when the last answers. */
import http from 'node:http';
import { request } from '../http-client.js';

export interface LoadResult {
  /** Latencies in ms. */
  readonly ms: number[];
  readonly seconds: number;
  readonly errors: number;
}

/** Runs `conns` closed loops for `seconds`; `body(i)` makes the i-th request's JSON body. */
export async function closedLoop(
  url: string,
  conns: number,
  seconds: number,
  body: (i: number) => string,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  const ms: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const reply = await request(agent, url, 'POST', body(next++));
      if (reply.status !== 200) {
        errors++;
        if (errors === 1) process.stderr.write(`bench: ${reply.status} ${reply.body.slice(0, 300)}\n`);
      } else ms.push(reply.us / 1000);
    }
  };
  await Promise.all(Array.from({ length: conns }, loop));
  agent.destroy();
  return { ms, seconds: (performance.now() - started) / 1000, errors };
}
