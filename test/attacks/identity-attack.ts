/**
 * Attacks on identity and request bounds (issue #16, items 10 and 11):
 *
 * - `huge-request-ids`: inference requests whose `id` is 2 MB each (refused with 400 naming the limit; the id is
 *   never echoed, logged or stored);
 * - `huge-timeouts`: requests asking for a queue timeout above what a timer can honour (once answered as timed
 *   out after about 1 ms; now 400 naming the limit);
 * - `spoofed-callers`: with auth on and the prediction log on, a caller claims another's name in x-inferd-caller
 *   and posts labels for the other caller's request ids (the log records the authenticated key; the labels join
 *   nothing of the other caller's).
 *
 * Each runs against a server of its own; the probe is a digits inference on another connection.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import { MODELS_DIR, readJsonFixture } from '../helpers/server.js';
import type { AttackScenario, AttackSetup, ProbeRequest } from './attack.js';

const DIGITS = readJsonFixture<{ inputs: number[][] }>('test/fixtures/reference/digits.json');
const digitsBody = (extra: Record<string, unknown> = {}) => ({ ...extra, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: DIGITS.inputs[0] }] });

/** Runs `count` calls of `send`, at most `concurrency` at a time; failures (refusals, resets) are the defence. */
async function flood(count: number, concurrency: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await send(next++).catch(() => undefined);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  await res.arrayBuffer();
}

async function digitsServer(extra: Parameters<typeof resolveServerConfig>[0] = {}): Promise<RunningServer> {
  return startServer(resolveServerConfig({
    model_repository: MODELS_DIR, model_control_mode: 'explicit', load_models: ['digits'], http_port: 0, grpc_port: -1, metrics_port: -1,
    host: '127.0.0.1', log_level: 'silent', ...extra,
  }));
}

function setupOf(server: RunningServer, probe: ProbeRequest, run: () => Promise<void>, cleanup: () => Promise<void> = async () => undefined): AttackSetup {
  return { httpUrl: server.url, probe, run, close: async () => {
    await server.close();
    await cleanup();
  } };
}

export const hugeRequestIds: AttackScenario = {
  name: 'huge-request-ids',
  async setup() {
    const server = await digitsServer({ body_limit_bytes: 8 * 1024 * 1024 });
    const body = JSON.stringify(digitsBody({ id: 'x'.repeat(2 * 1024 * 1024) }));
    return setupOf(server, { path: '/v2/models/digits/infer', body: digitsBody() }, () => flood(40, 4, () => post(`${server.url}/v2/models/digits/infer`, body)));
  },
};

export const hugeTimeouts: AttackScenario = {
  name: 'huge-timeouts',
  async setup() {
    const server = await digitsServer();
    const body = JSON.stringify(digitsBody({ parameters: { timeout: 2 ** 31 * 1000 + 5000 } }));
    return setupOf(server, { path: '/v2/models/digits/infer', body: digitsBody() }, () => flood(500, 16, () => post(`${server.url}/v2/models/digits/infer`, body)));
  },
};

const VICTIM = 'victim-key-0123456789';
const ATTACKER = 'attacker-key-0123456789';

export const spoofedCallers: AttackScenario = {
  name: 'spoofed-callers',
  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'inferd-identity-attack-'));
    const keys = [['victim', VICTIM], ['attacker', ATTACKER]].map(([name, key]) => `  - {name: ${name}, tenant: acme, sha256: ${hashApiKey(key)}, scopes: ['infer:digits']}`);
    await writeFile(join(dir, 'keys.yaml'), `keys:\n${keys.join('\n')}\n`);
    const server = await digitsServer({
      auth: { enabled: true, api_keys_file: join(dir, 'keys.yaml') },
      audit: { enabled: true, path: join(dir, 'audit.db') },
    });
    const infer = `${server.url}/v2/models/digits/infer`;
    const run = async () => {
      // The victim's predictions, then the attacker's: same ids, a claimed victim name, and labels for every id.
      await flood(100, 8, (i) => post(infer, JSON.stringify(digitsBody({ id: `order-${i}` })), { 'x-api-key': VICTIM }));
      await flood(300, 16, (i) => post(infer, JSON.stringify(digitsBody({ id: `order-${i % 100}` })), { 'x-api-key': ATTACKER, 'x-inferd-caller': 'victim' }));
      const labels = JSON.stringify({ feedback: Array.from({ length: 100 }, (_, i) => ({ id: `order-${i}`, label: 0 })) });
      await flood(20, 4, () => post(`${server.url}/v1/models/digits/feedback`, labels, { 'x-api-key': ATTACKER, 'x-inferd-caller': 'victim' }));
    };
    return setupOf(server, { path: '/v2/models/digits/infer', body: digitsBody(), headers: { 'x-api-key': VICTIM } }, run, () => rm(dir, { recursive: true, force: true }));
  },
};

export const identityAttacks: readonly AttackScenario[] = [hugeRequestIds, hugeTimeouts, spoofedCallers];
