/**
 * Drives gRPC unary calls with h2load (nghttp2's HTTP/2 load generator, written in C), as wrk drives HTTP/1.1:
 * a client that costs the server's CPU little, so the two transports are compared on the server's work. A gRPC
 * call is an HTTP/2 POST of one length-prefixed protobuf message with `content-type: application/grpc`; h2load
 * sends a prebuilt one. It counts HTTP statuses, not gRPC's (an error is HTTP 200 with a non-zero `grpc-status`
 * trailer), so the caller must check the server's own success/failure counts around a run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToEnd } from './children.js';
import { percentile } from './stats.js';

export const H2LOAD = '/usr/bin/h2load';

export function h2loadAvailable(): boolean {
  return existsSync(H2LOAD);
}

export interface H2loadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly failed: number;
  readonly errored: number;
  /** Responses whose HTTP status was not 2xx. */
  readonly non2xx: number;
}

export interface H2loadOptions {
  /** e.g. http://127.0.0.1:8001/inference.GRPCInferenceService/ModelInfer */
  readonly url: string;
  /** A gRPC frame: 1 byte compressed flag (0), 4 bytes big-endian length, the serialized message. */
  readonly bodyFile: string;
  /** TCP connections (gRPC channels). */
  readonly connections: number;
  /** Concurrent streams per connection. */
  readonly streamsPerConnection: number;
  readonly durationS: number;
}

/** Wraps a serialized protobuf message in gRPC's length-prefixed frame. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

export async function runH2load(o: H2loadOptions): Promise<H2loadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-h2load-'));
  const log = join(dir, 'requests.log');
  try {
    const args = [
      '-D',
      String(o.durationS),
      '-t',
      '1',
      '-c',
      String(o.connections),
      '-m',
      String(o.streamsPerConnection),
      '-d',
      o.bodyFile,
      '-H',
      'content-type: application/grpc',
      '-H',
      'te: trailers',
      '--log-file',
      log,
      o.url,
    ];
    const { stdout } = await runToEnd(
      `h2load ${o.connections}×${o.streamsPerConnection} ${o.url}`,
      H2LOAD,
      args,
      (o.durationS + 30) * 1000,
    );
    const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout)?.[1]);
    const counts =
      /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
    const statuses = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
    if (!counts || !statuses || !Number.isFinite(rps))
      throw new Error(`h2load printed no summary:\n${stdout.slice(-2000)}`);
    // Log lines: start time (µs since epoch), HTTP status, latency (µs).
    const latencies = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => Number(l.split('\t')[2]))
      .filter((v) => Number.isFinite(v));
    return {
      requests: Number(counts[4]),
      rps,
      p50Us: percentile(latencies, 50),
      p99Us: percentile(latencies, 99),
      failed: Number(counts[5]),
      errored: Number(counts[6]),
      non2xx: Number(statuses[2]) + Number(statuses[3]) + Number(statuses[4]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
