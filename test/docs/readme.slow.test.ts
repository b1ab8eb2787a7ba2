/**
 * Every shell command the README shows works as written. The README is read when the test runs; each command of
 * its ```sh / ```bash blocks runs in order with bash, verbatim but for the addresses (127.0.0.1:8000-8002 and
 * localhost:... become the test server's free ports), against the bundled models served by a server this test
 * starts (readme-workspace.ts). A command must exit 0, and every HTTP answer curl gets must be 2xx, unless the
 * comment after the command shows an error (then it must fail). `inferd serve ...` commands run on free ports,
 * must become ready (every model loaded), and exit 0 on SIGTERM.
 *
 * A command that cannot run here is listed in NOT_RUN with the reason; any other command runs, so a new README
 * command is either exercised or explicitly excused. A few commands need the state the README's prose assumes
 * (a rollout to pause, a model to reload); PREPARE puts the server in it through the HTTP API first.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/server.js';
import { documentCommands, expandUsage, type DocCommand } from './readme-commands.js';
import { createWorkspace, runCommand, runServeCommand, type Workspace } from './readme-workspace.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Commands not run, each with why. */
const NOT_RUN: ReadonlyArray<{ readonly match: RegExp; readonly why: string }> = [
  { match: /^npm (install|i|ci|link)\b/, why: 'installs or links the package: the test runs in the checkout already installed and built' },
  { match: /^npm start\b/, why: 'serves ./models on the fixed ports 8000-8002; this test serves the same models on free ports' },
  { match: /^npm test\b/, why: 'runs the default suite, this test among it' },
  { match: /^npm run (build|typecheck|lint|check|format|test:slow|test:node-lts|bench|fuzz)/, why: 'builds, lints, formats, tests or benchmarks the checkout: minutes of CPU, run on their own' },
  { match: /^(docker|podman|kubectl|helm)\b/, why: 'needs a container runtime or a cluster' },
  { match: /^npm run cluster:/, why: 'cluster:local serves until Ctrl-C, cluster:scenarios runs minutes of load; test/cluster/local-cluster.slow.test.ts runs the same cluster and scenarios' },
  { match: /^(sudo )?apt(-get)? /, why: 'installs system packages' },
  { match: /s3:\/\/example-models\/|--config minio\.yaml/, why: 'serves from a bucket in AWS S3 or in a MinIO named by a config file; test/artifacts/store-repository.test.ts serves the same layout from an S3-compatible server on 127.0.0.1' },
  { match: /--url https:\/\/inferd\.internal\b/, why: 'a TLS server with a private CA at a named host; test/cli/admin-tls.test.ts runs the same options against real HTTPS servers' },
];

/** Comments after a command that show it failing on purpose. */
const SHOWS_AN_ERROR = /"error"\s*:|HTTP\/[\d.]+ [45]\d\d|\bexits? [1-9]/;

interface Api {
  readonly ws: Workspace;
  json(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown>;
}

interface RolloutJson {
  readonly id: string;
  readonly status: string;
}

async function activeRollouts(api: Api, model: string): Promise<RolloutJson[]> {
  const { rollouts } = (await api.json('GET', `/v1/models/${model}/rollouts`)) as { rollouts: RolloutJson[] };
  return rollouts.filter((r) => r.status === 'progressing' || r.status === 'paused');
}

/** No rollout running and all traffic on version 1: what "inferd rollout start" expects (README: pin the weights first). */
async function readyForRollout(api: Api, model: string): Promise<void> {
  for (const r of await activeRollouts(api, model)) await api.json('POST', `/v1/models/${model}/rollouts/${r.id}/abort`);
  await api.json('POST', `/v1/models/${model}/traffic`, { weights: { 1: 100 } });
}

/** The README's rollout spec ("the JSON above" of `--spec rollout.json`). */
function readmeRolloutSpec(): string {
  const block = [...README.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('"candidate"'));
  assert.ok(block, 'the README shows a rollout spec (a ```json block with "candidate") for --spec rollout.json');
  return block;
}

/** State a command presupposes, set up through the API before it runs; `after` restores what it took away. */
const PREPARE: ReadonlyArray<{ readonly match: RegExp; before?(api: Api, m: RegExpMatchArray): Promise<void>; after?(api: Api, m: RegExpMatchArray): Promise<void> }> = [
  {
    match: /^inferd rollout start (\S+)(.*--spec (\S+))?/,
    async before(api, m) {
      await readyForRollout(api, m[1]);
      if (m[3]) writeFileSync(join(api.ws.dir, m[3]), readmeRolloutSpec());
    },
  },
  {
    // pause, resume, promote and abort act on the model's active rollout; resume on a paused one.
    match: /^inferd rollout (pause|resume|promote|abort) (\S+)/,
    async before(api, m) {
      if ((await activeRollouts(api, m[2])).length === 0) {
        await readyForRollout(api, m[2]);
        await api.json('POST', `/v1/models/${m[2]}/rollouts`, { candidate: 2, stable: 1, steps: [50, 100], interval_ms: 600_000 });
      }
      const [active] = await activeRollouts(api, m[2]);
      if (m[1] === 'resume' && active.status !== 'paused') await api.json('POST', `/v1/models/${m[2]}/rollouts/${active.id}/pause`);
      if (m[1] === 'pause' && active.status === 'paused') await api.json('POST', `/v1/models/${m[2]}/rollouts/${active.id}/resume`);
    },
  },
  {
    match: /^inferd models unload (\S+)/,
    async after(api, m) {
      await api.json('POST', `/v2/repository/models/${m[1]}/load`, {});
    },
  },
];

interface Planned {
  readonly source: DocCommand;
  readonly command: string;
  readonly notRun?: string | undefined;
}

/** The README's commands as the test runs them: usage lines expanded, `npx inferd` run as the built bin. */
function plan(commands: readonly DocCommand[]): Planned[] {
  return commands.flatMap((source) =>
    expandUsage(source.text).map((text) => {
      // npx runs the package's own bin, which the PATH's `inferd` is.
      const command = text.replace(/^npx (--yes |-y )?inferd\b/, 'inferd');
      return { source, command, notRun: NOT_RUN.find((r) => r.match.test(command))?.why };
    }),
  );
}

function describeRun(r: { code: number | null; stdout: string; stderr: string }): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;
}

async function exercise(api: Api, p: Planned): Promise<void> {
  const prepared = PREPARE.map((s) => [s, p.command.match(s.match)] as const).filter(([, m]) => m);
  for (const [s, m] of prepared) await s.before?.(api, m!);
  const command = api.ws.rewrite(p.command);
  const failing = SHOWS_AN_ERROR.test(p.source.notes);
  if (/^(inferd|node \S*inferd\.js) serve\b/.test(command) && !failing) {
    const r = await runServeCommand(api.ws, command);
    assert.ok(r.ready, `the server it started never answered 200 on /v2/health/ready\n${describeRun(r)}`);
    assert.equal(r.code, 0, `stopped with SIGTERM, it exits 0\n${describeRun(r)}`);
  } else {
    const r = await runCommand(api.ws, command);
    if (failing) assert.notEqual(r.code, 0, `the README shows this command failing, but it exited 0\n${describeRun(r)}`);
    else assert.equal(r.code, 0, describeRun(r));
    if (/(^|[\s;|&(])curl\s/.test(command)) {
      assert.ok(r.httpStatuses.length > 0, `curl got no HTTP answer\n${describeRun(r)}`);
      const bad = r.httpStatuses.filter((s) => (failing ? s < 400 : s < 200 || s > 299));
      assert.deepEqual(bad, [], `HTTP statuses ${r.httpStatuses.join(', ')} (${failing ? 'an error' : '2xx'} expected)\n${describeRun(r)}`);
    }
  }
  for (const [s, m] of prepared) await s.after?.(api, m!);
}

describe('README commands', () => {
  const planned = plan(documentCommands(README));
  let api: Api;

  before(async () => {
    const ws = await createWorkspace();
    api = {
      ws,
      async json(method, path, body) {
        const res = await fetch(`${ws.server.url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }), headers: { 'content-type': 'application/json' } });
        const text = await res.text();
        if (!res.ok) throw new Error(`preparing a README command: ${method} ${path} answered ${res.status}: ${text}`);
        return JSON.parse(text) as unknown;
      },
    };
  });
  after(() => api?.ws.close());

  it('finds the README commands (curl, inferd and npm)', () => {
    for (const word of ['curl', 'inferd', 'npm']) assert.ok(planned.some((p) => p.command.startsWith(word)), `a ${word} command`);
    assert.ok(planned.filter((p) => !p.notRun).length >= 20, `${planned.length} commands found`);
  });

  // Excused commands are reported, not skipped: the suite skips nothing, and each excuse is checked to name a reason.
  it('excuses each command it does not run, with the reason', (t) => {
    for (const p of planned.filter((c) => c.notRun)) {
      assert.ok(p.notRun && p.notRun.length > 10, `line ${p.source.line} has a reason`);
      t.diagnostic(`README line ${p.source.line} not run (${p.command.split('\n')[0].slice(0, 80)}): ${p.notRun}`);
    }
  });

  for (const p of planned.filter((c) => !c.notRun)) {
    it(`README line ${p.source.line}: ${p.command.split('\n')[0].slice(0, 100)}`, () => exercise(api, p));
  }
});
