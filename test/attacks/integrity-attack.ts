/**
 * Attack: tampering with a signed model repository while the poller follows it. Someone who can write the
 * repository (a careless deploy script, a compromised sidecar) drops a config.yaml that changes the decision
 * threshold, a config.pbtxt, a label file, edits the model folder's signed manifest, or adds a warmup.json to a
 * version folder, again and again, each time undoing it once the server has seen it.
 *
 * The defence: every change is refused (model_refused / version_refused) and the answers never change; the probe,
 * sent to the very model under attack, keeps being answered by the verified state.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServerConfig, startServer } from '../../src/index.js';
import { buildManifest, buildModelManifest, manifestBytes, signManifest } from '../../src/registry/integrity.js';
import { readJsonFixture, ROOT } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import type { AttackScenario, AttackSetup } from './attack.js';

const cancer = readJsonFixture<{ inputs: number[][]; probabilities: number[][] }>(
  'test/fixtures/reference/breast_cancer.json',
);
/** The reference row nearest the decision boundary, and a threshold that flips its label. */
const NEAR = cancer.probabilities.reduce(
  (best, p, i) => (Math.abs(p[1] - 0.5) < Math.abs(cancer.probabilities[best][1] - 0.5) ? i : best),
  0,
);
const FLIPPING =
  cancer.probabilities[NEAR][1] >= 0.5 ? cancer.probabilities[NEAR][1] + 0.005 : cancer.probabilities[NEAR][1] - 0.005;
const BODY = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: cancer.inputs[NEAR] }] };

/** One tampering and how to undo it, in the model folder `dir`. */
interface Tamper {
  readonly what: string;
  apply(dir: string): void;
  undo(dir: string): void;
}

const TAMPERS: readonly Tamper[] = [
  {
    what: 'config.yaml with a threshold dropped beside the signed versions',
    apply: (d) => writeFileSync(join(d, 'config.yaml'), `parameters: { threshold: ${FLIPPING} }\n`),
    undo: (d) => rmSync(join(d, 'config.yaml')),
  },
  {
    what: 'config.pbtxt with a threshold dropped beside the signed versions',
    apply: (d) =>
      writeFileSync(join(d, 'config.pbtxt'), `parameters { key: "threshold" value { string_value: "${FLIPPING}" } }\n`),
    undo: (d) => rmSync(join(d, 'config.pbtxt')),
  },
  {
    what: 'a label file added',
    apply: (d) => writeFileSync(join(d, 'labels.txt'), 'benign\nmalignant\n'),
    undo: (d) => rmSync(join(d, 'labels.txt')),
  },
  {
    what: "the model folder's manifest edited to allow a config.yaml",
    apply: (d) => {
      const signed = readFileSync(join(d, 'manifest.json'), 'utf8');
      renameSync(join(d, 'manifest.json'), join(d, '..', 'manifest.json.signed')); // kept as signed, to the mtime
      writeFileSync(join(d, 'manifest.json'), signed.replace('"config.yaml",', '').replace(', "config.yaml"', ''));
      writeFileSync(join(d, 'config.yaml'), `parameters: { threshold: ${FLIPPING} }\n`);
    },
    undo: (d) => {
      renameSync(join(d, '..', 'manifest.json.signed'), join(d, 'manifest.json'));
      rmSync(join(d, 'config.yaml'));
    },
  },
  {
    what: 'warmup.json added to the version folder',
    apply: (d) => writeFileSync(join(d, '1', 'warmup.json'), JSON.stringify({ requests: [{ inputs: BODY.inputs }] })),
    undo: (d) => rmSync(join(d, '1', 'warmup.json')),
  },
];

async function post(url: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, text: await res.text() };
}

export interface IntegrityAttackOptions {
  /** Tamper-and-undo cycles (each tamper in turn); default 60, about 10-20 s here. */
  readonly rounds?: number;
  /** Repository poll interval; default 0.05 s. */
  readonly pollSecs?: number;
}

/** Tampering with a signed repository while the poller runs; the probe asks the model under attack. */
export function integrityAttack(options: IntegrityAttackOptions = {}): AttackScenario {
  return {
    name: 'signed-repository-tampering',
    async setup(): Promise<AttackSetup> {
      const repo = mkdtempSync(join(tmpdir(), 'inferd-attack-integrity-'));
      const model = join(repo, 'cancer');
      mkdirSync(join(model, '1'), { recursive: true });
      cpSync(join(ROOT, 'models', 'breast_cancer', '1', 'model.onnx'), join(model, '1', 'model.onnx'));
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      writeFileSync(join(repo, 'release.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
      for (const [dir, bytes] of [
        [join(model, '1'), manifestBytes(await buildManifest(join(model, '1')))],
        [model, manifestBytes(await buildModelManifest(model, 'cancer'))],
      ] as const) {
        writeFileSync(join(dir, 'manifest.json'), bytes);
        writeFileSync(join(dir, 'manifest.sig'), signManifest(bytes, pem));
      }
      const server = await startServer(
        resolveServerConfig({
          model_repository: repo,
          http_port: 0,
          host: '127.0.0.1',
          log_level: 'silent',
          model_control_mode: 'poll',
          repository_poll_secs: options.pollSecs ?? 0.05,
          integrity: 'signed',
          trusted_keys: [join(repo, 'release.pub')],
        }),
      );
      const answer = async () => {
        const r = await post(`${server.url}/v2/models/cancer/infer`, BODY);
        return `${r.status} ${r.text}`;
      };
      const refusals = async () => {
        const r = await fetch(`${server.url}/v1/models/cancer/events`);
        const { events } = (await r.json()) as { events: Array<{ type: string }> };
        return events.filter((e) => e.type === 'model_refused' || e.type === 'version_refused').length;
      };
      const refusedNow = async () =>
        (await post(`${server.url}/v2/repository/index`)).text.includes('a change was refused');
      return {
        httpUrl: server.url,
        probe: { path: '/v2/models/cancer/infer', body: BODY },
        async run() {
          const verified = await answer();
          const gotThrough: string[] = [];
          for (let round = 0; round < (options.rounds ?? 60); round++) {
            const tamper = TAMPERS[round % TAMPERS.length];
            const seen = await refusals();
            tamper.apply(model);
            // The server has seen it when it refused it, or (no defence) when the answer changed.
            let changed = '';
            await waitFor(
              async () => (await refusals()) > seen || (changed = await answer()) !== verified,
              `server reaction to: ${tamper.what}`,
            );
            if (changed && changed !== verified) gotThrough.push(`${tamper.what}: answered ${changed.slice(0, 200)}`);
            tamper.undo(model);
            await waitFor(
              async () => !(await refusedNow()) && (await answer()) === verified,
              `recovery after: ${tamper.what}`,
            );
          }
          if (gotThrough.length)
            throw new Error(
              `integrity attack: ${gotThrough.length} tampering(s) changed the answers: ${gotThrough.slice(0, 3).join('; ')}`,
            );
        },
        async close() {
          await server.close();
          rmSync(repo, { recursive: true, force: true });
        },
      };
    },
  };
}

export const INTEGRITY_ATTACKS: readonly AttackScenario[] = [integrityAttack()];
