/** A minimal keep-alive HTTP client for checks and for the overload latency probe (not for throughput). */
import http from 'node:http';

export interface Reply {
  readonly status: number;
  readonly body: string;
  /** Wall time from send to the last byte, in microseconds. */
  readonly us: number;
}

export function request(
  agent: http.Agent | undefined,
  url: string,
  method: 'GET' | 'POST',
  body?: string,
  timeoutMs = 10_000,
): Promise<Reply> {
  const start = process.hrtime.bigint();
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers:
          body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, us: Number(process.hrtime.bigint() - start) / 1000 }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
