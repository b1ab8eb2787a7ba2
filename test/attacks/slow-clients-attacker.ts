/**
 * The attacking side of slow-clients-attack.ts, run as a child process so that its own work (opening a thousand
 * sockets, encoding 60 MiB messages) does not count against the server's event loop in the watchdog.
 *
 *   node slow-clients-attacker.js http <http url>   partial heads and unfinished bodies; exits once the server has closed them all
 *   node slow-clients-attacker.js grpc <target>     4 unauthenticated 60 MiB ModelInfer messages; exits once all are answered
 *
 * It reports {done: true, ...} to its parent (process.send) before it exits.
 */
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { inferenceServiceDefinition } from '../../src/transport/grpc/proto-loader.js';
import { postHead, RawClient } from '../helpers/raw-sockets.js';

export const PARTIAL_SOCKETS = 1000;
export const UNFINISHED_BODIES = 20;
const MiB = 1024 * 1024;

/** Opens `count` raw clients, yielding to the event loop every 50 (the server accepts them as they come). */
async function openMany(url: string, count: number, send: (c: RawClient) => void): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (let i = 0; i < count; i++) {
    const c = new RawClient(url);
    c.socket.once('connect', () => send(c));
    clients.push(c);
    if (i % 50 === 49) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return clients;
}

async function slowHttp(url: string): Promise<Record<string, unknown>> {
  const chunk = Buffer.alloc(MiB, 0x20);
  const partial = await openMany(url, PARTIAL_SOCKETS, (c) =>
    c.write('GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '),
  );
  const bodies = await openMany(url, UNFINISHED_BODIES, (c) => {
    c.write(postHead('/v2/models/digits/infer', 50 * MiB));
    c.write(chunk);
  });
  // Every attacking socket ends at the server's hand: evicted, refused, or timed out.
  await Promise.all([...partial, ...bodies].map((c) => c.done));
  const statuses = bodies.map((c) => c.status ?? 'closed');
  return { partial_closed: partial.length, body_statuses: statuses };
}

/** A ModelInfer message of about 60 MiB: 15.7 million FP32 contents (packed), the costliest kind to decode. */
function bigModelInfer(): Buffer {
  const rows = Math.floor((60 * MiB) / 4 / 64);
  return inferenceServiceDefinition().ModelInfer!.requestSerialize({
    model_name: 'digits',
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        shape: [String(rows), '64'],
        contents: { fp32_contents: new Array<number>(rows * 64).fill(0.5) },
      },
    ],
  });
}

async function bigGrpc(target: string): Promise<Record<string, unknown>> {
  const message = bigModelInfer();
  const client = new Client(target, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  const pass = (b: Buffer) => b;
  try {
    const codes = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<string>((resolve) => {
            client.makeUnaryRequest(
              '/inference.GRPCInferenceService/ModelInfer',
              pass,
              pass,
              message,
              new Metadata(),
              (err) => resolve(err ? status[err.code] : 'OK'),
            );
          }),
      ),
    );
    return { message_bytes: message.length, codes };
  } finally {
    client.close();
  }
}

const [mode, target] = process.argv.slice(2);
if (mode === 'http' || mode === 'grpc') {
  const result = await (mode === 'http' ? slowHttp(target!) : bigGrpc(target!));
  process.send?.({ done: true, ...result });
  process.exit(0);
}
