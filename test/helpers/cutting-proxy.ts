/**
 * A TCP proxy on 127.0.0.1 in front of a server, which can cut every connection once a response has passed a
 * number of bytes: a download killed mid-way, at a point the test chose rather than one it hoped for.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class CuttingProxy {
  private readonly sockets = new Set<Socket>();
  private cutAfter: number | undefined;
  private cutLatch: (() => void) | undefined;
  /** Connections cut so far. */
  cuts = 0;

  private constructor(
    private readonly server: Server,
    private readonly targetPort: () => number,
  ) {}

  static async start(targetPort: () => number): Promise<CuttingProxy> {
    const server = createServer();
    const proxy = new CuttingProxy(server, targetPort);
    server.on('connection', (client) => proxy.pipe(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** From now on, any response passing `bytes` bytes has its connection cut there; resolves at the first cut. */
  cutResponsesAfter(bytes: number): Promise<void> {
    this.cutAfter = bytes;
    return new Promise((resolve) => (this.cutLatch = resolve));
  }

  /** Stops cutting. */
  pass(): void {
    this.cutAfter = undefined;
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.targetPort(), '127.0.0.1');
    this.sockets.add(client).add(upstream);
    let sent = 0;
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      sent += d.length;
      const limit = this.cutAfter;
      if (limit !== undefined && sent > limit) {
        client.write(d.subarray(0, Math.max(0, d.length - (sent - limit))));
        this.cuts += 1;
        end();
        this.cutLatch?.();
        return;
      }
      client.write(d);
    });
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
