/**
 * Bad rows mixed into live traffic: a client keeps sending requests whose input the model fails on at run time (an
 * index past the end of lut_gather's table), so that dynamic batching joins them with everyone else's. Without
 * isolation every batch holding one failed as a whole: the valid requests with it got 500s, counted against the
 * model's SLO and breaker.
 *
 * Two probes: `bad-row-batches` probes another model of the same server (lut_probe): the server keeps answering while
 * the attacked model's instance bisects batch after batch. `bad-row-victim` probes the attacked model itself: the
 * probe is batched with the attack's rows and must still get 200 (before isolation it got 500 whenever its batch held
 * a bad row); its latency includes the isolation runs of its batch and of the batches queued before it.
 */
import type { AttackScenario, AttackSetup } from './attack.js';
import { startTestServer, tempRepository } from '../helpers/server.js';
import { describeCounts, expectOnly, flood, type FloodCounts, type HttpRequestSpec } from './flood.js';

/** Requests the attack sends, and how many at once (each on its own keep-alive connection), from a child process. */
const REQUESTS = 3000;
const CONCURRENCY = 16;
/** One request in BAD_EVERY has a bad row. */
const BAD_EVERY = 4;

/** Batches of up to 16 requests, each waiting up to 2 ms for company: the attack's rows meet everyone else's. */
const CONFIG =
  'max_batch_size: 16\ndynamic_batching: { max_queue_delay_microseconds: 2000 }\nslo: { availability: 0.999 }\n';

const body = (indices: readonly number[]) =>
  JSON.stringify({ inputs: [{ name: 'index', datatype: 'INT64', shape: [1, 4], data: indices }] });
const GOOD = body([0, 3, 7, -1]);
/** Index 10 is one past the table's end: the runtime call holding it fails. */
const BAD = body([1, 10, 2, 3]);

/** The setup, with the answers the attack's requests got once it has run (bad rows should get 400, the rest 200). */
export interface BadRowAttackSetup extends AttackSetup {
  readonly counts: FloodCounts;
}

function badRowScenario(
  name: string,
  probeModel: 'lut' | 'lut_probe',
): AttackScenario & { setup(): Promise<BadRowAttackSetup> } {
  return { name, setup: () => setup(probeModel) };
}

async function setup(probeModel: string): Promise<BadRowAttackSetup> {
  const repo = await tempRepository({
    lut: { onnx: 'lut_gather.onnx', config: { file: 'config.yaml', text: CONFIG } },
    lut_probe: { onnx: 'lut_gather.onnx' },
  });
  const server = await startTestServer({ repository: repo.dir });
  const counts: FloodCounts = {};
  const path = '/v2/models/lut/infer';
  const requests: HttpRequestSpec[] = Array.from({ length: BAD_EVERY }, (_, i) =>
    i === 0 ? { path, body: BAD, label: 'bad' } : { path, body: GOOD, label: 'good' },
  );
  return {
    httpUrl: server.url,
    counts,
    probe: {
      path: `/v2/models/${probeModel}/infer`,
      body: JSON.parse(GOOD) as unknown,
      headers: { 'content-type': 'application/json' },
    },
    async run() {
      Object.assign(
        counts,
        await flood([
          [{ kind: 'http', label: 'lut', url: server.url, requests, count: REQUESTS, concurrency: CONCURRENCY }],
        ]),
      );
      const name = probeModel === 'lut' ? 'bad-row-victim' : 'bad-row-batches';
      expectOnly(name, counts, 'good', ['200']);
      // A bad row isolated from its batch is answered 400; one that ran alone in its batch gets the runtime's error
      // as it is (500). Either way it fails alone, which is the defence: the valid rows beside it are answered.
      expectOnly(name, counts, 'bad', ['400', '500']);
      return describeCounts(counts);
    },
    async close() {
      await server.close();
      await repo.cleanup();
    },
  };
}

export const badRowAttack = badRowScenario('bad-row-batches', 'lut_probe');
export const badRowVictimAttack = badRowScenario('bad-row-victim', 'lut');
export const scenarios: readonly AttackScenario[] = [badRowAttack, badRowVictimAttack];
