/**
 * Raw TCP clients for tests of slow and half-finished requests (what fetch cannot send), and a reader of one
 * Prometheus sample from a /metrics text.
 */
import { connect, type Socket } from 'node:net';

/** A socket to an HTTP server that records what comes back and whether the server closed it. */
export class RawClient {
  readonly socket: Socket;
  /** Everything received, as text. */
  received = '';
  closed = false;
  /** True once connected (the server's kernel accepted it). */
  connected = false;
  readonly done: Promise<void>;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => (this.connected = true));
    this.socket.on('data', (d: Buffer) => (this.received += d.toString('latin1')));
    this.socket.on('error', () => {}); // a reset is one way for the server to close it
    this.done = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.closed = true;
        resolve();
      }),
    );
  }

  write(text: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  /** The status code of the first answer received, or undefined while none has come. */
  get status(): number | undefined {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.received);
    return m ? Number(m[1]) : undefined;
  }

  /** A header of the first answer (lower-case name), or undefined. */
  header(name: string): string | undefined {
    const head = this.received.split('\r\n\r\n')[0] ?? '';
    const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name}:`));
    return line?.slice(name.length + 1).trim();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The head of a POST with a body of `length` bytes, of which the test then sends none or a part. */
export function postHead(path: string, length: number, extra = ''): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;
}

/** One sample's value in a Prometheus text exposition; 0 when absent. `labels` must match the sample's exactly. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = (m[2] ?? '').split(',').filter(Boolean).sort().join(',');
    if (got === want) return Number(m[3]);
  }
  return 0;
}

/** Reads one sample from a server's /metrics URL. */
export async function scrape(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(metricsUrl);
  return sample(await res.text(), name, labels);
}
