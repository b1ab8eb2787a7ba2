/**
 * The attacking side of flood.ts, run as a child process: receives a FloodPlan from its parent (process.send),
 * runs it, and sends back {counts} before it exits.
 */
import { Agent, request } from 'node:http';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { inferenceServiceDefinition } from '../../src/transport/grpc/proto-loader.js';
import type { BodySpec, Flood, FloodCounts, FloodPlan, GrpcFlood, HttpFlood } from './flood.js';

function build(spec: BodySpec): Buffer {
  if (typeof spec === 'string') return Buffer.from(spec);
  return Buffer.from(
    `${spec.before ?? ''}${new Array<string>(spec.times).fill(spec.piece).join(spec.separator ?? '')}${spec.after ?? ''}`,
  );
}

/** Sends `count` calls of `send(i)`, at most `concurrency` at a time. */
async function pool(count: number, concurrency: number, send: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, worker));
}

function counter(counts: FloodCounts) {
  return (label: string, outcome: string) => {
    const byStatus = (counts[label] ??= {});
    byStatus[outcome] = (byStatus[outcome] ?? 0) + 1;
  };
}

async function httpFlood(f: HttpFlood, count: (label: string, outcome: string) => void): Promise<void> {
  const base = new URL(f.url);
  const agent = new Agent({ keepAlive: f.keepAlive ?? true, maxSockets: f.concurrency });
  const bodies = new Map<number, Buffer>();
  const send = (spec: HttpRequestLike, body: Buffer | undefined): Promise<string> =>
    new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: string) => {
        if (!settled) resolve(outcome);
        settled = true;
      };
      const headers: Record<string, string | number> = {
        ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
        ...spec.headers,
      };
      const req = request(
        { agent, host: base.hostname, port: base.port, path: spec.path, method: spec.method ?? 'POST', headers },
        (res) => {
          const code = String(res.statusCode ?? 0);
          let head = '';
          res.on('data', (d: Buffer) => {
            if (head.length < 300) head += d.toString('utf8', 0, 300);
          });
          res.on('end', () => {
            if (process.env.FLOOD_DEBUG && !(settled || code.startsWith('2')))
              console.error(`${spec.label ?? f.label} ${code}: ${head.slice(0, 300)}`);
            settle(code);
          });
          res.on('error', () => settle(code));
          res.on('close', () => settle(code));
        },
      );
      // A refusal may close the connection while the body is still being written: the answer, if any, counts.
      req.on('error', () => settle('error'));
      req.end(body);
    });
  try {
    await pool(f.count, f.concurrency, async (i) => {
      const k = i % f.requests.length;
      const spec = f.requests[k]!;
      let body = bodies.get(k);
      if (!body && spec.body !== undefined) bodies.set(k, (body = build(spec.body)));
      count(spec.label ?? f.label, await send(spec, body));
    });
  } finally {
    agent.destroy();
  }
}
type HttpRequestLike = HttpFlood['requests'][number];

async function grpcFlood(f: GrpcFlood, count: (label: string, outcome: string) => void): Promise<void> {
  const method = inferenceServiceDefinition()[f.method];
  if (!method) throw new Error(`no RPC ${f.method} in inference.GRPCInferenceService`);
  const messages = f.requests.map((r) => method.requestSerialize(r));
  const client = new Client(f.target, credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
  });
  const pass = (b: Buffer) => b;
  const metadata = () => {
    const md = new Metadata();
    for (const [k, v] of Object.entries(f.metadata ?? {})) md.set(k, v);
    return md;
  };
  try {
    await pool(
      f.count,
      f.concurrency,
      (i) =>
        new Promise<void>((resolve) => {
          client.makeUnaryRequest(method.path, pass, pass, messages[i % messages.length]!, metadata(), (err) => {
            count(f.label, err ? (status[err.code] ?? 'error') : 'OK');
            resolve();
          });
        }),
    );
  } finally {
    client.close();
  }
}

async function run(plan: FloodPlan): Promise<FloodCounts> {
  const counts: FloodCounts = {};
  const count = counter(counts);
  for (const step of plan)
    await Promise.all(step.map((f: Flood) => (f.kind === 'http' ? httpFlood(f, count) : grpcFlood(f, count))));
  return counts;
}

process.once('message', (m) => {
  run((m as { plan: FloodPlan }).plan).then(
    (counts) => process.send?.({ counts }, () => process.exit(0)),
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exit(1);
    },
  );
});
