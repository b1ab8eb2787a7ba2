/**
 * An HTTP proxy on 127.0.0.1 in front of an S3-compatible server that answers the next N requests with 503
 * SlowDown, as S3 does when a prefix is read too fast, and forwards everything else.
 */
import { createServer, request, type Server } from 'node:http';

const SLOW_DOWN =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

export class ThrottlingProxy {
  private throttleNext = 0;
  /** Requests answered 503 SlowDown, and forwarded. */
  throttled = 0;
  forwarded = 0;

  private constructor(private readonly server: Server) {}

  static async start(targetPort: () => number): Promise<ThrottlingProxy> {
    const server = createServer();
    const proxy = new ThrottlingProxy(server);
    server.on('request', (req, res) => {
      if (proxy.throttleNext > 0) {
        proxy.throttleNext -= 1;
        proxy.throttled += 1;
        req.resume();
        res.writeHead(503, { 'content-type': 'application/xml' }).end(SLOW_DOWN);
        return;
      }
      proxy.forwarded += 1;
      const upstream = request(
        { host: '127.0.0.1', port: targetPort(), method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get endpoint(): string {
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  /** Answers the next `n` requests with 503 SlowDown. */
  throttle(n: number): void {
    this.throttleNext = n;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
