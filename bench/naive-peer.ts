/**
 * What a user would write instead of inferd: fastify + onnxruntime-node, one session.run per request on the
 * main thread, default session options, same V2 JSON request and response shape. Loads digits and mlp_heavy
 * (or the comma-separated --models). GET /v2/health/ready answers 200 once it listens: the sessions are loaded by then.
 *
 * Tree models named by --trees (XGBoost JSON) are evaluated on the main thread with the same evaluator inferd uses
 * (src/runtimes/tree/, used as a library): what a Node user serving such a model in-process would write.
 *
 * Usage: node dist/bench/naive-peer.js [--model-repository models] [--port 0] [--models digits,mlp_heavy]
 *        [--trees breast_cancer_xgb]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fastify from 'fastify';
import ort from 'onnxruntime-node';
import { announceListening, exitWithParent } from './child-lifetime.js';
import { loadXGBoostModel, predict, type TreeEnsemble } from '../src/runtimes/tree/index.js';

interface V2Input {
  name: string;
  shape: number[];
  datatype: string;
  data: number[];
}

interface V2Request {
  inputs: V2Input[];
}

const { values } = parseArgs({
  options: {
    'model-repository': { type: 'string', default: 'models' },
    port: { type: 'string', default: '0' },
    /** Comma-separated (the cold-start comparison loads digits alone). */
    models: { type: 'string', default: 'digits,mlp_heavy' },
    /** Comma-separated XGBoost JSON models (none by default). */
    trees: { type: 'string', default: '' },
  },
});
exitWithParent();

const sessions = new Map<string, ort.InferenceSession>();
for (const name of values.models.split(',')) {
  sessions.set(name, await ort.InferenceSession.create(join(values['model-repository'], name, '1', 'model.onnx')));
}

const trees = new Map<string, TreeEnsemble>();
for (const name of values.trees.split(',').filter(Boolean)) {
  trees.set(name, loadXGBoostModel(readFileSync(join(values['model-repository'], name, '1', 'model.json'), 'utf8')));
}

function toJson(t: ort.Tensor): { name?: string; datatype: string; shape: number[]; data: number[] } {
  const data = t.data instanceof BigInt64Array ? Array.from(t.data, Number) : Array.from(t.data as Float32Array);
  return { datatype: t.type === 'int64' ? 'INT64' : 'FP32', shape: [...t.dims], data };
}

const app = fastify();
app.get('/v2/health/ready', async () => ({ ready: true }));
app.post<{ Params: { model: string }; Body: V2Request }>('/v2/models/:model/infer', async (req, reply) => {
  const tree = trees.get(req.params.model);
  if (tree) {
    const input = req.body.inputs[0];
    const [rows, cols] = input.shape;
    const probabilities = predict(tree, Float32Array.from(input.data), rows, cols);
    return {
      model_name: req.params.model,
      model_version: '1',
      outputs: [
        {
          name: 'probabilities',
          datatype: 'FP32',
          shape: [rows, probabilities.length / rows],
          data: Array.from(probabilities),
        },
      ],
    };
  }
  const session = sessions.get(req.params.model);
  if (!session) return reply.code(404).send({ error: `unknown model ${req.params.model}` });
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of req.body.inputs)
    feeds[input.name] = new ort.Tensor('float32', Float32Array.from(input.data), input.shape);
  const results = await session.run(feeds);
  return {
    model_name: req.params.model,
    model_version: '1',
    outputs: Object.entries(results).map(([name, t]) => ({ name, ...toJson(t) })),
  };
});

const url = await app.listen({ host: '127.0.0.1', port: Number(values.port) });
announceListening('naive-peer', url);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
