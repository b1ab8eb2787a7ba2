/**
 * The CLI as a child process: graceful shutdown on SIGTERM under load, --help, unknown commands.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Inferd } from '../../src/index.js';
import { CLI_PATH, ROOT, tempRepository, type TempRepository } from '../helpers/server.js';
import { GIVE_UP_MS, waitFor } from '../helpers/wait-for.js';

const ROWS = 40;
const WIDTH = 256;
const TOLERANCE = 1e-3;

/** A distinct input row per request, so mixed-up answers are detected. */
function inputRow(i: number): number[] {
  return Array.from({ length: WIDTH }, (_, j) => Math.fround(Math.sin(i * 1.7 + j * 0.31) * (1 + i / 10)));
}

interface Child {
  readonly proc: ChildProcess;
  readonly url: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  readonly logs: string[];
  readonly stderr: string[];
}

/** Spawns `inferd serve` on port 0 and resolves `url` from its "inferd listening on" log line. */
function spawnServer(repository: string): Child {
  const proc = spawn(
    process.execPath,
    [
      CLI_PATH,
      'serve',
      '--model-repository',
      repository,
      '--http-port',
      '0',
      '--host',
      '127.0.0.1',
      '--log-level',
      'info',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
        if (
          typeof entry.msg === 'string' &&
          entry.msg.startsWith('inferd listening on http://127.0.0.1:') &&
          typeof entry.url === 'string'
        ) {
          resolve(entry.url);
        }
      } catch {
        // not a JSON log line; kept in `logs` for diagnostics
      }
    });
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    void exited.then(({ code, signal }) =>
      reject(
        new Error(
          `inferd exited (code ${code}, signal ${signal}) before listening:\n${logs.join('\n')}\n${stderr.join('')}`,
        ),
      ),
    );
  });
  return { proc, url, exited, logs, stderr };
}

type Outcome =
  | { kind: 'ok'; index: number; y: number[] }
  | { kind: 'refused'; index: number; detail: string }
  | { kind: 'failed'; index: number; detail: string };

/** What a client saw when the server answered. */
interface ClientResult {
  readonly status: number;
  readonly text: string;
}

/** A client failure (no HTTP answer), with when the whole request had been written (performance.now()), when known. */
class ClientError extends Error {
  constructor(
    readonly code: string,
    readonly sentAt: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** A client: posts `body` to `url`; calls `written` once the whole request is written, when it can tell. */
type Post = (url: string, body: string, written: () => void) => Promise<ClientResult>;

/** Posts with node:http on a fresh connection that closes after the response (no keep-alive). */
function postNoKeepAlive(url: string, body: string, written: () => void): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    let sentAt: number | undefined;
    const fail = (err: NodeJS.ErrnoException) => reject(new ClientError(err.code ?? 'ERROR', sentAt, err.message));
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', fail);
      },
    );
    req.on('finish', () => {
      sentAt = performance.now();
      written();
    });
    req.on('error', fail);
    req.end(body);
  });
}

/**
 * Posts with the global fetch, whose connection pool keeps connections alive between requests. fetch does not
 * say when a request was written (so `written` is never called), and a failure counts as a request sent before
 * SIGTERM.
 */
async function postKeepAlive(url: string, body: string): Promise<ClientResult> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
    throw new ClientError(
      String(cause?.code ?? 'ERROR'),
      undefined,
      `${(err as Error).message}: ${String(cause?.message ?? cause)}`,
    );
  }
  return { status: res.status, text: await res.text() };
}

describe('CLI graceful shutdown', () => {
  let repo: TempRepository;
  const children: Child[] = [];
  const expected: number[][] = [];

  before(async () => {
    repo = await tempRepository({
      slow_sum: {
        onnx: 'slow_sum.onnx',
        config: {
          file: 'config.yaml',
          text: 'max_batch_size: 8\ndynamic_batching:\n  max_queue_delay_microseconds: 0\n',
        },
      },
    });
    // Reference answers computed in process, one row at a time, on the same model files.
    const reference = await Inferd.create({ modelRepository: repo.dir });
    try {
      for (let i = 0; i < ROWS; i++) {
        const res = await reference.infer({
          model: 'slow_sum',
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, WIDTH], data: Float32Array.from(inputRow(i)) }],
        });
        expected.push(Array.from(res.outputs[0].data as Float32Array));
      }
    } finally {
      await reference.stop();
    }
  });

  after(async () => {
    for (const child of children) {
      if (child.proc.exitCode === null && child.proc.signalCode === null) {
        child.proc.kill('SIGKILL');
        await child.exited;
      }
    }
    await repo?.cleanup();
  });

  /**
   * Starts the CLI, fires the burst with `post`, sends SIGTERM once every request is written (when the client
   * says so) or else once the first answer is back, and checks answers and exit. Events, not a delay: on a busy
   * machine a fixed delay leaves a varying share of the burst unsent.
   */
  async function burstThenSigterm(t: TestContext, post: Post): Promise<void> {
    const child = spawnServer(repo.dir);
    children.push(child);
    const url = await child.url;
    // Warm up: the first fetch in a process loads its HTTP client, which can take longer than the 15 ms below.
    const ready = await fetch(`${url}/v2/health/ready`);
    assert.equal(ready.status, 200, 'the server is ready before the burst');

    let signalledAt = Infinity;
    const send = async (index: number): Promise<Outcome> => {
      const body = JSON.stringify({
        id: `req-${index}`,
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, WIDTH], data: inputRow(index) }],
      });
      let res: ClientResult;
      try {
        res = await post(`${url}/v2/models/slow_sum/infer`, body, () => written++);
      } catch (err) {
        if (!(err instanceof ClientError)) throw err;
        const when =
          err.sentAt === undefined
            ? 'at an unknown time'
            : err.sentAt <= signalledAt
              ? `${(signalledAt - err.sentAt).toFixed(1)} ms before SIGTERM was sent`
              : `${(err.sentAt - signalledAt).toFixed(1)} ms after SIGTERM was sent`;
        const detail = `${err.code}: ${err.message}; request fully written ${when}`;
        // Never connected, or not fully sent yet when SIGTERM was sent: it arrived after shutdown began.
        const arrivedLate = err.code === 'ECONNREFUSED' || (err.sentAt !== undefined && err.sentAt > signalledAt);
        return arrivedLate ? { kind: 'refused', index, detail } : { kind: 'failed', index, detail };
      }
      if (res.status === 503) return { kind: 'refused', index, detail: res.text };
      if (res.status !== 200)
        return { kind: 'failed', index, detail: `status ${res.status}: ${res.text.slice(0, 200)}` };
      const parsed = JSON.parse(res.text) as {
        id?: string;
        outputs?: Array<{ name: string; shape: number[]; data: number[] }>;
      };
      const y = parsed.outputs?.find((o) => o.name === 'y');
      if (parsed.id !== `req-${index}` || !y || y.shape.join() !== `1,${WIDTH}` || y.data.length !== WIDTH) {
        return { kind: 'failed', index, detail: `unexpected body ${res.text.slice(0, 200)}` };
      }
      return { kind: 'ok', index, y: y.data };
    };

    // SIGTERM once every request is written (when the client can tell) and the server has answered one of them: by
    // then the burst has reached the server, and the rest are in flight there. A fixed delay instead would leave a
    // varying share unsent on a busy machine, where the kernel may also hand loopback packets over late.
    let written = 0;
    let answered = false;
    const burst = Array.from({ length: ROWS }, (_, i) => send(i).finally(() => (answered = true)));
    const tellsWrites = post !== postKeepAlive;
    await waitFor(() => answered && (!tellsWrites || written === ROWS), 'the burst to be written and a first answer');
    signalledAt = performance.now();
    assert.ok(child.proc.kill('SIGTERM'), 'SIGTERM delivered');

    const outcomes = await Promise.all(burst);
    const answeredAt = performance.now();
    const ok = outcomes.filter((o) => o.kind === 'ok');
    const refused = outcomes.filter((o) => o.kind === 'refused');
    const failed = outcomes.filter((o) => o.kind === 'failed');
    t.diagnostic(
      `${ok.length} answered, ${refused.length} refused after shutdown began, ${failed.length} failed; all settled ${Math.round(answeredAt - signalledAt)} ms after SIGTERM`,
    );

    assert.deepEqual(failed, [], 'no request sent before SIGTERM failed other than with 503');
    for (const o of ok) {
      const worst = Math.max(...o.y.map((v, j) => Math.abs(v - expected[o.index][j])));
      assert.ok(worst <= TOLERANCE, `request ${o.index}: output differs from the reference by up to ${worst}`);
    }
    assert.ok(ok.length >= 1, `none of ${ROWS} requests was answered (${refused.length} refused)`);

    const exit = await Promise.race([
      child.exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), GIVE_UP_MS).unref()),
    ]);
    const lastLogs = child.logs.slice(-4).join('\n');
    assert.ok(
      exit,
      `inferd did not exit within ${GIVE_UP_MS} ms of SIGTERM (every request was answered ${Math.round(answeredAt - signalledAt)} ms after it); last log lines:\n${lastLogs}`,
    );
    t.diagnostic(`exited ${Math.round(exit.at - signalledAt)} ms after SIGTERM`);
    assert.equal(exit.signal, null, `exited by signal ${exit.signal}`);
    // Exit 0 means the drain finished within shutdown_timeout_ms: at that deadline the server exits 1 instead.
    assert.equal(
      exit.code,
      0,
      `exit code ${exit.code}; last log lines:\n${lastLogs}\nstderr: ${child.stderr.join('')}`,
    );
    assert.ok(!child.logs.some((l) => l.includes('shutdown deadline passed')), lastLogs);
    assert.ok(
      child.logs.some((l) => l.includes('inferd stopped')),
      `the log says the server stopped:\n${lastLogs}`,
    );
  }

  it('client without keep-alive: every accepted request is answered during SIGTERM, then exit 0 within shutdown_timeout_ms', async (t) => {
    await burstThenSigterm(t, postNoKeepAlive);
  });

  it('client with keep-alive (global fetch): every accepted request is answered during SIGTERM, then exit 0 within shutdown_timeout_ms', async (t) => {
    await burstThenSigterm(t, postKeepAlive);
  });
});

describe('CLI usage', () => {
  it('--help prints usage and exits 0', () => {
    const r = spawnSync(process.execPath, [CLI_PATH, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: GIVE_UP_MS });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: inferd <command>/);
    assert.match(r.stdout, /serve/);
  });

  it('serve --help prints the serve options and exits 0', () => {
    const r = spawnSync(process.execPath, [CLI_PATH, 'serve', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: GIVE_UP_MS,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: inferd serve/);
    assert.match(r.stdout, /--model-repository/);
  });

  it('an unknown command exits 2 and says so', () => {
    const r = spawnSync(process.execPath, [CLI_PATH, 'frobnicate'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: GIVE_UP_MS,
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });

  it('an unknown serve flag fails with a non-zero exit and names the flag', () => {
    const r = spawnSync(process.execPath, [CLI_PATH, 'serve', '--no-such-flag'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: GIVE_UP_MS,
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--no-such-flag/);
  });
});
