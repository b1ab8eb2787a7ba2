/**
 * Attacks on identity and request bounds (issue #16, items 10 and 11):
 *
 * - `huge-request-ids`: inference requests whose `id` is 768 KiB each (the were 2 MB; today's per-model body
 *   limit refuses those from their Content-Length): refused with 400 naming the limit; the id is never echoed, logged
 *   or stored;
 * - `huge-timeouts`: requests asking for a queue timeout above what a timer can honour (once answered as timed
 *   out after about 1 ms; now 400 naming the limit);
 * - `spoofed-callers`: with auth on and the prediction log on, a caller claims another's name in x-inferd-caller
 *   and posts labels for the other caller's request ids (the log records the authenticated key; the labels join
 *   nothing of the other caller's).
 *
 * Each runs against a server of its own; the probe is a digits inference on another connection. The requests are sent
 * by a flood attacker in a child process (flood.ts), which counts the answers each scenario then checks.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import { MODELS_DIR, readJsonFixture } from '../helpers/server.js';
import type { AttackScenario, AttackSetup, ProbeRequest } from './attack.js';
import { describeCounts, expectOnly, flood, type BodySpec, type Flood } from './flood.js';

const DIGITS = readJsonFixture<{ inputs: number[][] }>('test/fixtures/reference/digits.json');
const digitsBody = (extra: Record<string, unknown> = {}) => ({
  ...extra,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: DIGITS.inputs[0] }],
});

const INFER = '/v2/models/digits/infer';

async function digitsServer(extra: Parameters<typeof resolveServerConfig>[0] = {}): Promise<RunningServer> {
  return startServer(
    resolveServerConfig({
      model_repository: MODELS_DIR,
      model_control_mode: 'explicit',
      load_models: ['digits'],
      http_port: 0,
      grpc_port: -1,
      metrics_port: -1,
      host: '127.0.0.1',
      log_level: 'silent',
      ...extra,
    }),
  );
}

function setupOf(
  server: RunningServer,
  probe: ProbeRequest,
  run: () => Promise<string>,
  cleanup: () => Promise<void> = async () => undefined,
): AttackSetup {
  return {
    httpUrl: server.url,
    probe,
    run,
    close: async () => {
      await server.close();
      await cleanup();
    },
  };
}

/** Requests of each kind per run, and how many at once. */
const HUGE_IDS = 600;
const HUGE_TIMEOUTS = 5000;
/** Rounds of the spoofed-callers attack: 100 victim predictions, 300 spoofed ones, 20 label batches each. */
const SPOOF_ROUNDS = 6;

export const hugeRequestIds: AttackScenario = {
  name: 'huge-request-ids',
  async setup() {
    const server = await digitsServer({ body_limit_bytes: 8 * 1024 * 1024 });
    // {"id":"xxx…(768 KiB)","inputs":[…]}, built in the attacker: within the model's body limit (1 MiB), so that the
    // body is read and parsed and the id refused, not the body from its Content-Length.
    const body: BodySpec = {
      before: '{"id":"',
      piece: 'x',
      times: 768 * 1024,
      after: `",${JSON.stringify(digitsBody()).slice(1)}`,
    };
    return setupOf(server, { path: INFER, body: digitsBody() }, async () => {
      const counts = await flood([
        [
          {
            kind: 'http',
            label: 'huge id',
            url: server.url,
            requests: [{ path: INFER, body }],
            count: HUGE_IDS,
            concurrency: 4,
          },
        ],
      ]);
      expectOnly('huge-request-ids', counts, 'huge id', ['400']);
      return describeCounts(counts);
    });
  },
};

export const hugeTimeouts: AttackScenario = {
  name: 'huge-timeouts',
  async setup() {
    const server = await digitsServer();
    const body = JSON.stringify(digitsBody({ parameters: { timeout: 2 ** 31 * 1000 + 5000 } }));
    return setupOf(server, { path: INFER, body: digitsBody() }, async () => {
      const counts = await flood([
        [
          {
            kind: 'http',
            label: 'huge timeout',
            url: server.url,
            requests: [{ path: INFER, body }],
            count: HUGE_TIMEOUTS,
            concurrency: 16,
          },
        ],
      ]);
      expectOnly('huge-timeouts', counts, 'huge timeout', ['400']);
      return describeCounts(counts);
    });
  },
};

const VICTIM = 'victim-key-0123456789';
const ATTACKER = 'attacker-key-0123456789';

export const spoofedCallers: AttackScenario = {
  name: 'spoofed-callers',
  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'inferd-identity-attack-'));
    const keys = [
      ['victim', VICTIM],
      ['attacker', ATTACKER],
    ].map(([name, key]) => `  - {name: ${name}, tenant: acme, sha256: ${hashApiKey(key)}, scopes: ['infer:digits']}`);
    await writeFile(join(dir, 'keys.yaml'), `keys:\n${keys.join('\n')}\n`);
    const server = await digitsServer({
      auth: { enabled: true, api_keys_file: join(dir, 'keys.yaml') },
      audit: { enabled: true, path: join(dir, 'audit.db') },
    });
    const url = server.url;
    const spoof = { 'x-api-key': ATTACKER, 'x-inferd-caller': 'victim' };
    // Each round: the victim's predictions, then the attacker's (same ids, a claimed victim name), then labels for every id.
    const plan: Flood[][] = [];
    for (let r = 0; r < SPOOF_ROUNDS; r++) {
      const ids = Array.from({ length: 100 }, (_, i) => `order-${r}-${i}`);
      const predictions = ids.map((id) => JSON.stringify(digitsBody({ id })));
      const labels = JSON.stringify({ feedback: ids.map((id) => ({ id, label: 0 })) });
      plan.push(
        [
          {
            kind: 'http',
            label: 'victim',
            url,
            requests: predictions.map((body) => ({ path: INFER, body, headers: { 'x-api-key': VICTIM } })),
            count: 100,
            concurrency: 8,
          },
        ],
        [
          {
            kind: 'http',
            label: 'spoofed',
            url,
            requests: predictions.map((body) => ({ path: INFER, body, headers: spoof })),
            count: 300,
            concurrency: 16,
          },
        ],
        [
          {
            kind: 'http',
            label: 'labels',
            url,
            requests: [{ path: '/v1/models/digits/feedback', body: labels, headers: spoof }],
            count: 20,
            concurrency: 4,
          },
        ],
      );
    }
    return setupOf(
      server,
      { path: INFER, body: digitsBody(), headers: { 'x-api-key': VICTIM } },
      async () => {
        const counts = await flood(plan);
        expectOnly('spoofed-callers', counts, 'victim', ['200']);
        return describeCounts(counts);
      },
      () => rm(dir, { recursive: true, force: true }),
    );
  },
};

export const identityAttacks: readonly AttackScenario[] = [hugeRequestIds, hugeTimeouts, spoofedCallers];
