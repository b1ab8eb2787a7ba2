/**
 * The HTTP limit: fastify parsing the same JSON body as an inference request and answering a fixed V2 reply,
 * with no model. No server that parses JSON on one event loop can answer faster.
 *
 * Usage: node dist/bench/http-limit.js [--port 0]
 */
import { parseArgs } from 'node:util';
import fastify from 'fastify';
import { announceListening, exitWithParent } from './child-lifetime.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
exitWithParent();

// A digits answer of the usual size.
const REPLY = JSON.stringify({
  model_name: 'digits',
  model_version: '1',
  outputs: [
    {
      name: 'logits',
      datatype: 'FP32',
      shape: [1, 10],
      data: [
        1.844773292541504, -10.885774612426758, 7.071141719818115, 2.3639566898345947, -14.181941032409668,
        -6.007319927215576, -8.433182716369629, -5.914234161376953, -6.636065483093262, -1.738848328590393,
      ],
    },
    { name: 'label', datatype: 'INT64', shape: [1], data: [2] },
  ],
});

const app = fastify();
app.post<{ Params: { model: string }; Body: { inputs?: unknown } }>('/v2/models/:model/infer', async (req, reply) => {
  if (!Array.isArray(req.body?.inputs)) return reply.code(400).send({ error: "need an 'inputs' array" });
  return reply.header('content-type', 'application/json').send(REPLY);
});

const url = await app.listen({ host: '127.0.0.1', port: Number(values.port) });
announceListening('http-limit', url);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
