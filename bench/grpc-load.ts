/**
 * gRPC load generator, run as its own process: a closed loop of N in-flight unary ModelInfer calls over one
 * channel (--channels to spread them over more), cycling the 32 digits reference rows as raw_input_contents (batch 1, FP32 [1,64]).
 *
 * Usage: node dist/bench/grpc-load.js --target 127.0.0.1:PORT --model mlp_heavy --concurrency 64 --duration 10
 * Prints one line "LOAD_JSON {...}" (see closed-loop.ts).
 */
import { parseArgs } from 'node:util';
import { referenceRows } from './bodies.js';
import { exitWithParent } from './child-lifetime.js';
import { closedLoop, printResult } from './closed-loop.js';
import { grpcInferRequest, inferClient } from './grpc-client.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      model: { type: 'string', default: 'mlp_heavy' },
      concurrency: { type: 'string', default: '64' },
      duration: { type: 'string', default: '10' },
      /** Channels (TCP connections) the calls are spread over; default 1, as a typical client has. */
      channels: { type: 'string', default: '1' },
    },
  });
  if (!values.target) throw new Error('grpc-load: --target HOST:PORT is required');
  exitWithParent();
  const channels = Array.from({ length: Math.max(1, Number(values.channels)) }, () =>
    inferClient(values.target!, Number(values.channels) > 1),
  );
  await Promise.all(
    channels.map(
      ({ client }) =>
        new Promise<void>((resolve, reject) =>
          client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
        ),
    ),
  );
  const requests = referenceRows().map((row) => grpcInferRequest(values.model, row));
  const call = async (i: number): Promise<number> => {
    const res = await channels[i % channels.length].infer(requests[i % requests.length]);
    if (res.raw_output_contents.length !== res.outputs.length || res.outputs.length === 0)
      throw new Error(`unexpected ModelInfer response: ${res.outputs.length} outputs`);
    let bytes = 0;
    for (const b of res.raw_output_contents) bytes += b.length;
    return bytes;
  };
  const result = await closedLoop({
    concurrency: Number(values.concurrency),
    durationS: Number(values.duration),
    call,
  });
  for (const { client } of channels) client.close();
  printResult(result);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`grpc-load: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
